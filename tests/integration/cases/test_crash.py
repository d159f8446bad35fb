"""A writer killed part way through a step: the running service's sweep finishes it, and
every event and count takes effect exactly once."""

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from services.cases.exceptions import CaseChanged
from tests.conftest import service_config
from tests.events import EventTap
from tests.integration.cases.conftest import drain_report


@pytest.fixture
def cases_config(stack, cases_db):
    """A short takeover time, so the running service finishes a dead writer's steps quickly."""
    return service_config(stack, CASES_DB=cases_db.name, STEP_TAKEOVER_SECONDS=1, OVERDUE_SCAN_SECONDS=3600)


def dispatched_case(cases, place) -> str:
    case = cases.report(**drain_report(place("金昌花园/2栋/1单元")))
    cases.escalate(case_id=case["case_id"])
    cases.triage(case_id=case["case_id"])
    cases.dispatch(case_id=case["case_id"], assignee={"kind": "community", "name": "嘉园社区"})
    return case["case_id"]


def pending(db) -> list[str]:
    """The step keys on every instance's pending list (without each listing attempt's tag)."""
    return [key.split("~")[0] for doc in db["journal_instances"].find({}) for key in doc.get("pending") or {}]


def kill_a_writer_at(stage: str, stack, db, target: str, command: str = "accept", *request_id: str) -> None:
    writer = subprocess.run([sys.executable, "-m", "tests.integration.cases.crashing_writer", stack.amqp_uri,
                             stack.mongo_uri, db.name, target, stage, command, *request_id],
                            capture_output=True, timeout=60)
    assert writer.returncode == -9, writer.stderr.decode()[-2000:]


@pytest.mark.parametrize("stage", ["publish", "count", "release"])
def test_a_writer_killed_after_writing_the_case_loses_and_duplicates_nothing(stage, stack, cases, cases_db, place):
    case_id = dispatched_case(cases, place)
    tap = EventTap(stack.amqp_uri, "cases", ["case_accepted"])

    kill_a_writer_at(stage, stack, cases_db, case_id)

    assert f"cases:{case_id}:5" in pending(cases_db)
    assert _eventually(lambda: f"cases:{case_id}:5" not in pending(cases_db))
    events = tap.wait_for(2, timeout=3)
    assert len({e["event_id"] for e in events}) == 1
    assert len(events) == (1 if stage == "publish" else 2)
    case = cases.get_case(case_id=case_id)
    assert case["state"] == "accepted" and case["version"] == 5
    assert [e["action"] for e in case["timeline"]].count("accept") == 1
    day = case["received_day"]
    stats = cases.stats(node_id=place("金昌花园"), date_from=day, date_to=day)
    assert (stats["totals"]["received"], stats["totals"]["responded"]) == (1, 1)


def test_a_writer_killed_before_writing_the_case_leaves_it_as_it_was(stack, cases, cases_db, place):
    case_id = dispatched_case(cases, place)
    tap = EventTap(stack.amqp_uri, "cases", ["case_accepted"])

    kill_a_writer_at("write", stack, cases_db, case_id)

    assert _eventually(lambda: f"cases:{case_id}:5" not in pending(cases_db))
    assert tap.wait_for(1, timeout=2) == []
    assert cases.get_case(case_id=case_id)["state"] == "dispatched"
    assert cases.accept(case_id=case_id)["version"] == 5


def _eventually(check, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("stage", ["publish", "count", "release"])
def test_a_writer_killed_while_opening_a_case_loses_and_duplicates_nothing(stage, stack, cases, cases_db, place):
    tap = EventTap(stack.amqp_uri, "cases", ["case_reported"])

    kill_a_writer_at(stage, stack, cases_db, place("金昌花园/2栋/1单元"), "report")

    events = tap.wait_for(2, timeout=6)
    assert len({e["event_id"] for e in events}) == 1
    assert len(events) == (1 if stage == "publish" else 2)
    case = cases.get_case(case_id=events[0]["payload"]["case_id"])
    assert case["state"] == "reported"
    assert _eventually(lambda: cases_db["journal_instances"].count_documents({}) == 1)
    day = case["received_day"]
    stats = cases.stats(node_id=place("金昌花园"), date_from=day, date_to=day)
    assert stats["totals"]["received"] == 1


def test_a_step_whose_sweeper_died_holding_its_claim_is_voided_by_the_next_one(cases, cases_db, place):
    case_id = dispatched_case(cases, place)
    now = datetime.now(UTC)
    at = now.replace(microsecond=now.microsecond // 1000 * 1000) - timedelta(seconds=30)  # stored in ms
    key = f"cases:{case_id}:5"
    cases_db["journal_steps"].insert_one({"_id": key, "collection": "cases", "doc_id": case_id, "version": 5,
                                          "at": at, "writer": "journal_dead", "attempt": "a1", "events": [],
                                          "counts": {}, "follow": []})
    cases_db["journal_instances"].insert_one({"_id": "journal_dead", "prefix": "case_dead", "collection": "cases",
                                              "upto": 0, "released": 0, "seen_at": at,
                                              "pending": {f"{key}~a1": at}})
    # a sweeper claimed it just now and died: the claim stands until the takeover time has passed
    cases_db["journal_claims"].insert_one({"_id": f"{key}@{at.isoformat()}#0", "at": now})

    accepted = _eventually(lambda: _accepts(cases, case_id))

    assert accepted, f"{key} is still taken: {cases_db['journal_steps'].find_one({'_id': key})}"
    assert cases_db["journal_instances"].find_one({"_id": "journal_dead"}) is None


def _accepts(cases, case_id: str) -> bool:
    try:
        return cases.accept(case_id=case_id)["version"] == 5
    except CaseChanged:
        return False


def test_a_failed_attempt_is_voided_while_its_client_keeps_repeating_the_command(cases, cases_db, place):
    case_id = dispatched_case(cases, place)
    live = cases_db["journal_instances"].find_one({})["_id"]
    now = datetime.now(UTC)
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    key = f"cases:{case_id}:5"  # what an attempt whose case write failed leaves: its step, listed
    cases_db["journal_steps"].insert_one({"_id": key, "collection": "cases", "doc_id": case_id, "version": 5,
                                          "at": at, "writer": live, "attempt": "0badf00d", "events": [],
                                          "counts": {}, "follow": []})
    cases_db["journal_instances"].update_one({"_id": live}, {"$set": {f"pending.{key}~0badf00d": at}})

    accepted = _eventually(lambda: _accepts(cases, case_id))

    assert accepted, f"{key} is still taken; pending: {pending(cases_db)}"
    assert cases.get_case(case_id=case_id)["handler"]["who"] == "ops"

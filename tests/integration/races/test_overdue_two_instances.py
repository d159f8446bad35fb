"""Overdue supervision (督办) by two cases processes whose timers fire together: each case is
supervised one level per period, with one timeline entry and one `case_overdue` per level,
however many instances and timers look at it."""

import contextlib
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest

from services.cases import commands
from services.cases.calendar import DeadlinePolicy, WorkCalendar
from services.cases.policy import CasePolicy
from services.cases.repository import JOURNAL, CasesStore
from services.cases.roster import Roster, RosterCache
from services.cases.routing import reference
from services.cases.taxonomy import Taxonomy
from services.rosters.demo import find_place
from shared.actor import Actor
from shared.clock import utcnow
from shared.journal import Journal
from shared.mongo import EventPublisher, mongo_client
from shared.stack.ports import wait_until
from tests.integration.races.conftest import ROOT, stop
from tests.integration.races.racing import FIGURES, EventCounter

CASES = 40
LEVELS = 3  # supervision rounds every case goes through before it is suspended
SCAN_SECONDS = 0.2
SUPERVISE_EVERY = timedelta(seconds=3)
#: The response is due at once, so a case is overdue as soon as it is escalated.
INSTANT = {"critical": {"response": {"hours": 0}, "resolution": {"hours": 100}}}
PLACE = "嘉园社区/金昌花园/2栋/1单元"
OPS = Actor("张警官", "admin")


@pytest.fixture
def overdue_env(race_env):
    """The races' broker and rosters, a cases database of its own, a fast overdue timer."""
    env = {**race_env, "CASES_DB": f"{race_env['CASES_DB']}od", "OVERDUE_SCAN_SECONDS": str(SCAN_SECONDS),
           "SUPERVISE_EVERY_HOURS": repr(SUPERVISE_EVERY.total_seconds() / 3600)}
    yield env
    client = mongo_client(env["MONGO_URI"])
    client.drop_database(env["CASES_DB"])
    client.close()


@pytest.fixture
def cases_db(overdue_env):
    client = mongo_client(overdue_env["MONGO_URI"])
    yield client[overdue_env["CASES_DB"]]
    client.close()


@pytest.fixture
def store(cases_db, overdue_env):
    """The cases store in this process, writing steps itself (no background threads)."""
    return CasesStore(cases_db, Journal(cases_db, EventPublisher(overdue_env["AMQP_URI"], "cases", {}), **JOURNAL), {})


POLICY = CasePolicy(Taxonomy.from_config(None), DeadlinePolicy(INSTANT, {}, WorkCalendar()), SUPERVISE_EVERY,
                    reference)


def overdue_cases(store: CasesStore, ops, street: dict) -> list[str]:
    """`CASES` critical drains cases at 金昌花园 2栋, escalated, so overdue at once."""
    roster = Roster(ops.rosters, RosterCache.detached())
    report = {"channel": "visit", "reporter": {"name": "王大爷", "phone": "13900001111", "household": "2栋1单元301"},
              "unit_id": find_place(street, PLACE), "category": "drains", "urgency": "critical", "place": "shared",
              "description": "2栋下水道堵塞，污水外溢", "photos": []}
    case_ids = []
    for _ in range(CASES):
        case = commands.report(store, roster, OPS, report, POLICY, utcnow())
        commands.act(store, OPS, case["_id"], "escalate", {"note": "需要专业疏通车"}, POLICY, utcnow)
        case_ids.append(case["_id"])
    return case_ids


@contextlib.contextmanager
def cases_processes(env: dict, cases_db, count: int = 2):
    """`count` `nameko run` processes of the cases service, waited for until each has
    registered its journal in the database."""
    before = cases_db["journal_instances"].count_documents({})
    processes = [subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config", "services/cases/config.yml",
                                   "services.cases.service"], cwd=ROOT, env=env, start_new_session=True)
                 for _ in range(count)]
    try:
        wait_until(lambda: cases_db["journal_instances"].count_documents({}) >= before + count, 60,
                   f"{count} cases processes")
        yield processes
    finally:
        stop(processes)


def supervisions(case: dict) -> list[tuple[int, object]]:
    """(level, time) of each supervision in the case's timeline, in order."""
    return [(e["detail"]["supervision_level"], e["at"]) for e in case["timeline"] if e["action"] == "flag_overdue"]


def test_two_instances_supervise_each_overdue_case_once_per_level_with_one_event_each(
        overdue_env, cases_db, store, ops, street, rosters_instances):
    case_ids = overdue_cases(store, ops, street)
    tap = EventCounter(overdue_env["AMQP_URI"], "cases", ["case_overdue"])
    levels = lambda: [c.get("supervision_level", 0) for c in cases_db["cases"].find({"_id": {"$in": case_ids}})]  # noqa: E731

    with cases_processes(overdue_env, cases_db):
        wait_until(lambda: min(levels()) >= LEVELS, 30 + LEVELS * SUPERVISE_EVERY.total_seconds(),
                   f"every case supervised {LEVELS} times")
        for case_id in case_ids:  # a suspended case is no longer watched: supervision ends here
            commands.act(store, OPS, case_id, "suspend", {"reason": "等待管网改造施工"}, POLICY, utcnow)
        cases = {c["_id"]: c for c in cases_db["cases"].find({"_id": {"$in": case_ids}})}
        steps = {case_id: supervisions(case) for case_id, case in cases.items()}
        events = [e for e in tap.collect(sum(map(len, steps.values())), grace=2) if e["payload"]["case_id"] in cases]

    stored = Counter((case_id, level) for case_id, done in steps.items() for level, _ in done)
    published = Counter((e["payload"]["case_id"], e["payload"]["detail"]["supervision_level"])
                        for e in {e["event_id"]: e for e in events}.values())
    repeated = sum(n - 1 for n in stored.values())
    hurried = sum(1 for done in steps.values() for (_, a), (_, b) in zip(done, done[1:], strict=False)
                  if b - a < SUPERVISE_EVERY)
    line = (f"overdue with 2 instances: cases={CASES} flag_steps={sum(stored.values())} case_levels={len(stored)} "
            f"repeated_levels={repeated} sooner_than_period={hurried} case_overdue={sum(published.values())} "
            f"extra_events={sum(n - 1 for n in published.values())} deliveries={len(events)} "
            f"top_levels={sorted(Counter(max(level for level, _ in done) for done in steps.values()).items())}")
    FIGURES.append(line)
    print(f"\n[race] {line}")
    assert all([level for level, _ in done] == list(range(1, len(done) + 1)) for done in steps.values()), steps
    assert min(len(done) for done in steps.values()) >= LEVELS
    assert repeated == 0 and hurried == 0
    assert published == stored

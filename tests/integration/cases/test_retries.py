"""A client that repeats a command under its `request_id` (after a timeout, or because the
instance that made the change died before answering) gets the first answer, never a second
change nor an error about its own success."""

import eventlet
import pytest

from shared.errors import Conflict, InvalidTransition
from tests.conftest import service_config
from tests.integration.cases.conftest import drain_report
from tests.integration.cases.test_crash import _eventually, dispatched_case, kill_a_writer_at

WRITER = ("张警官", "admin")  # the crashing writer acts as this actor


@pytest.fixture
def cases_config(stack, cases_db):
    return service_config(stack, CASES_DB=cases_db.name, STEP_TAKEOVER_SECONDS=1, OVERDUE_SCAN_SECONDS=3600)


def resolved_case(cases, place) -> str:
    case_id = dispatched_case(cases, place)
    cases.accept(case_id=case_id)
    cases.resolve(case_id=case_id, result="康师傅疏通了下水道")
    return case_id


def actions(case: dict) -> list[str]:
    return [entry["action"] for entry in case["timeline"]]


def test_an_accept_repeated_after_its_writer_died_unanswered_gets_the_accepted_case(stack, cases, cases_db,
                                                                                     place, rpc_as):
    case_id = dispatched_case(cases, place)
    kill_a_writer_at("publish", stack, cases_db, case_id, "accept", "accept-0001")
    police = rpc_as(*WRITER).cases

    answer = police.accept(case_id=case_id, request_id="accept-0001")
    again = police.accept(case_id=case_id, request_id="accept-0001")

    assert answer["state"] == "accepted" and answer["version"] == 5
    assert answer["handler"]["who"] == "张警官"
    assert again == answer
    assert actions(cases.get_case(case_id=case_id)).count("accept") == 1
    with pytest.raises(InvalidTransition):
        police.accept(case_id=case_id, request_id="accept-0002")


def test_an_evaluation_repeated_after_its_writer_died_unanswered_gets_the_closed_case(stack, cases, cases_db,
                                                                                       place, rpc_as):
    case_id = resolved_case(cases, place)
    kill_a_writer_at("count", stack, cases_db, case_id, "evaluate", "verdict-0001")
    police = rpc_as(*WRITER).cases

    answer = police.evaluate(case_id=case_id, satisfied=True, request_id="verdict-0001")

    assert answer["state"] == "closed"
    case = cases.get_case(case_id=case_id)
    assert actions(case).count("evaluate") == 1 and not case.get("reopen_count")
    day = case["received_day"]
    counted = lambda: cases.stats(node_id=place("金昌花园"), date_from=day, date_to=day)["totals"]  # noqa: E731
    assert _eventually(lambda: (counted()["evaluations"], counted()["satisfied"], counted()["closed"]) == (1, 1, 1))


def test_a_repeated_command_gets_its_first_answer_even_after_the_case_moved_on(cases, place):
    case_id = dispatched_case(cases, place)
    first = cases.accept(case_id=case_id, request_id="accept-0001")
    cases.progress(case_id=case_id, note="已联系电工")

    again = cases.accept(case_id=case_id, request_id="accept-0001")

    assert again == first
    assert again["state"] == "accepted" and again["version"] == 5


def test_a_progress_note_sent_twice_under_one_request_id_is_written_once(cases, place):
    case_id = dispatched_case(cases, place)
    cases.accept(case_id=case_id)

    for _ in range(3):
        cases.progress(case_id=case_id, note="已联系电工", request_id="note-1")

    assert actions(cases.get_case(case_id=case_id)).count("progress") == 1


def test_a_request_id_reused_for_another_command_body_is_a_conflict(cases, place):
    case_id = dispatched_case(cases, place)
    cases.accept(case_id=case_id, request_id="r-1")

    with pytest.raises(Conflict) as error:
        cases.accept(case_id=case_id, note="another note", request_id="r-1")

    assert error.value.details[0]["field"] == "request_id"


def test_twenty_copies_of_one_request_at_once_all_get_the_one_answer(cases_service, rpc_as, cases, place):
    case_id = dispatched_case(cases, place)
    proxies = [rpc_as("曾玉琴", "secretary", (place("嘉园社区"),)).cases for _ in range(20)]

    answers = list(eventlet.GreenPool(20).imap(lambda rpc: rpc.accept(case_id=case_id, request_id="same-1"),
                                               proxies))

    assert all(a["state"] == "accepted" and a["version"] == 5 for a in answers)
    assert actions(cases.get_case(case_id=case_id)).count("accept") == 1


def test_a_new_report_sent_twice_under_one_request_id_is_one_case(cases, place):
    report = drain_report(place("金昌花园/2栋/1单元"), request_id="app-20261201-0007")

    first, again = cases.report(**report), cases.report(**report)

    assert first == again
    assert cases.search(node_id=place("金昌花园"))["total"] == 1


def forget_answers(cases_db) -> None:
    """What an instance dying between its change and logging the answer leaves behind."""
    cases_db["requests"].delete_many({})


def test_a_meeting_scheduled_recorded_and_paid_twice_under_request_ids_happens_once(cases, cases_db, place):
    case = cases.report(**drain_report(place("金昌花园/3栋/1单元"), description="3栋木门腐烂"))
    schedule = {"node_id": place("金昌花园/3栋"), "kind": "bench", "title": "3栋换铁门板凳议事会",
                "scheduled_at": "2026-06-20T19:30:00+08:00", "request_id": "m-1",
                "agenda": [{"title": "木门换铁门，费用谁受益谁出资", "case_ids": [case["case_id"]]}]}
    record = {"eligible": 3, "minutes": "3户到3户，全部同意", "decision": "换铁门，均摊",
              "attendees": [{"name": f"住户{i}", "role": "resident"} for i in range(3)],
              "votes": [{"item": 0, "votes_for": 3}], "request_id": "r-1",
              "cost_split": {"item": 0, "total_fen": 90000, "households": ["101", "102", "201"]}}

    meeting = cases.schedule_meeting(**schedule)
    forget_answers(cases_db)
    again = cases.schedule_meeting(**schedule)
    cases.record_meeting(meeting_id=meeting["meeting_id"], **record)
    forget_answers(cases_db)
    held = cases.record_meeting(meeting_id=meeting["meeting_id"], **record)
    cases.record_payment(meeting_id=meeting["meeting_id"], household="101", request_id="pay-101")
    forget_answers(cases_db)
    paid = cases.record_payment(meeting_id=meeting["meeting_id"], household="101", request_id="pay-101")

    assert again["meeting_id"] == meeting["meeting_id"]
    assert cases_db["meetings"].count_documents({}) == 1
    assert actions(cases.get_case(case_id=case["case_id"])).count("link_meeting") == 1
    assert held["state"] == "held" and "recorded_request" not in held
    assert [s["paid"] for s in paid["cost_split"]["shares"]] == [True, False, False]
    assert "paid_request" not in paid["cost_split"]["shares"][0]


def test_a_triage_repeated_after_its_answer_was_lost_gets_the_triaged_case(cases, cases_db, place):
    case = cases.report(**drain_report(place("金昌花园/2栋/1单元")))
    cases.escalate(case_id=case["case_id"])
    first = cases.triage(case_id=case["case_id"], request_id="t-1")
    forget_answers(cases_db)

    again = cases.triage(case_id=case["case_id"], request_id="t-1")

    assert first["state"] == again["state"] == "triaged"
    assert actions(cases.get_case(case_id=case["case_id"])).count("triage") == 1


def test_one_request_id_from_two_callers_is_two_reports(cases, rpc_as, place):
    report = drain_report(place("金昌花园/2栋/1单元"), request_id="visit-0001")
    leader = rpc_as("康早新", "unit_leader", (place("金昌花园/2栋/1单元"),)).cases

    mine, theirs = cases.report(**report), leader.report(**report)

    assert mine["case_id"] != theirs["case_id"]
    assert cases.search(node_id=place("金昌花园"))["total"] == 2

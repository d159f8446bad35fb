"""Running a command on a case: a step that loses its version to another writer is decided
again on the case as that writer left it; a repeat is recognised; a report is opened once."""

import pytest

from services.cases import commands
from services.cases.exceptions import CaseChanged
from shared.actor import Actor
from shared.errors import Forbidden, InvalidTransition
from tests.service.cases.making import DRAINS, case_in, step
from tests.service.conftest import OPS, POLICY
from tests.service.street import LIU_HONG, WANG, ZENG


def actions(case: dict) -> list[str]:
    return [entry["action"] for entry in case["timeline"]]


def test_a_step_that_loses_its_version_is_decided_again_and_written_after_the_winner(store, roster, clock):
    case = case_in("in_progress", store, roster, clock)
    store.journal.rival = lambda: step(store, roster, clock, case["_id"], "progress",
                                       {"note": "王芳电话回访居民", "site_visit": False}, WANG)

    after = step(store, roster, clock, case["_id"], "progress", {"note": "曾玉琴疏通了一半", "site_visit": True}, ZENG)

    assert after["version"] == case["version"] + 2
    assert [e["detail"]["note"] for e in after["timeline"][-2:]] == ["王芳电话回访居民", "曾玉琴疏通了一半"]
    assert store.cases.get(case["_id"]) == after
    assert len(store.journal.events("case_progressed")) == 3


def test_a_step_the_winner_made_impossible_fails_naming_the_state_it_left(store, roster, clock):
    case = case_in("dispatched", store, roster, clock)
    store.journal.rival = lambda: step(store, roster, clock, case["_id"], "accept", {"note": None}, WANG)

    with pytest.raises(InvalidTransition) as lost:
        step(store, roster, clock, case["_id"], "accept", {"note": None}, ZENG)

    assert lost.value.details[0]["current_state"] == "accepted"
    assert store.cases.get(case["_id"])["handler"] == {"who": "王芳", "role": "grid_worker"}
    assert len(store.journal.events("case_accepted")) == 1


def test_a_case_that_keeps_changing_fails_after_five_tries_and_writes_nothing(store, roster, clock):
    case = case_in("escalated", store, roster, clock)
    before = store.snapshot()
    store.journal.refuse(commands.RETRIES)

    with pytest.raises(CaseChanged) as busy:
        step(store, roster, clock, case["_id"], "triage", {"note": "分类"})

    assert busy.value.details == [{"field": "case_id", "reason": "busy",
                                   "reason_zh": "事件（case_id）正被他人同时修改，请稍后重试"}]
    assert store.snapshot() == before


def test_a_repeat_whose_answer_was_lost_is_recognised_in_the_timeline_and_changes_nothing(store, roster, clock):
    case = case_in("accepted", store, roster, clock)
    first = step(store, roster, clock, case["_id"], "resolve", {"result": "疏通完毕", "request_id": "r-resolve-1"})
    clock.move(minutes=5)

    again = step(store, roster, clock, case["_id"], "resolve", {"result": "疏通完毕", "request_id": "r-resolve-1"})

    assert again == first == store.cases.get(case["_id"])
    assert actions(again).count("resolve") == 1


def test_the_same_hotline_ticket_sent_twice_opens_one_case(store, roster, clock):
    ticket = {**DRAINS, "channel": "hotline", "external_ref": "12345-20260302-0042"}
    hotline = Actor("热线同步", "system")

    first = commands.report(store, roster, hotline, ticket, POLICY, clock())
    again = commands.report(store, roster, hotline, ticket, POLICY, clock.move(minutes=1))

    assert again["_id"] == first["_id"]
    assert list(store.cases.docs) == [first["_id"]]
    assert len(store.journal.events("case_reported")) == 1


def test_a_reference_another_caller_already_used_opens_the_callers_own_case_and_never_hands_over_the_first(
        store, roster, clock):
    ticket = {**DRAINS, "channel": "hotline", "external_ref": "12345-20260302-0044"}
    first = commands.report(store, roster, Actor("热线同步", "system"), ticket, POLICY, clock())

    other = commands.report(store, roster, WANG, {**ticket, "reporter": {"name": "李四", "phone": None,
                                                                         "household": None}}, POLICY, clock())

    assert other["_id"] != first["_id"]
    assert other["reporter"]["name"] == "李四"
    assert store.cases.get(first["_id"])["reporter"]["name"] == "王大爷"


def test_the_same_request_id_from_the_same_caller_opens_one_case_and_from_another_caller_a_second(
        store, roster, clock):
    report = {**DRAINS, "request_id": "r-report-7"}

    first = commands.report(store, roster, OPS, report, POLICY, clock())
    again = commands.report(store, roster, OPS, report, POLICY, clock())
    other = commands.report(store, roster, LIU_HONG, report, POLICY, clock())

    assert again["_id"] == first["_id"] != other["_id"]
    assert len(store.cases.docs) == 2


def test_a_twin_report_that_opens_the_case_first_is_the_answer(store, roster, clock):
    ticket = {**DRAINS, "channel": "hotline", "external_ref": "12345-20260302-0043"}
    twin = {}
    store.journal.rival = lambda: twin.update(commands.report(store, roster, OPS, ticket, POLICY, clock()))

    answer = commands.report(store, roster, OPS, ticket, POLICY, clock())

    assert answer == store.cases.get(twin["_id"])
    assert len(store.cases.docs) == 1
    assert len(store.journal.events("case_reported")) == 1


@pytest.mark.parametrize("command", ["triage", "accept", "resolve"])
def test_a_caller_outside_the_cases_place_is_refused_before_its_state_is_told(store, roster, clock, command):
    case = case_in("reported", store, roster, clock)  # a state none of these commands may start from
    outsider = Actor("何涛", "zone_leader", ("unit_lianfu",))
    before = store.snapshot()

    with pytest.raises(Forbidden) as refused:
        step(store, roster, clock, case["_id"], command, {"note": None}, outsider)

    assert "reported" not in str(refused.value.to_dict())
    assert store.snapshot() == before

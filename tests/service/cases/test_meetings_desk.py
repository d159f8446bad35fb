"""Deliberation meetings (议事会) over the fake store: scheduled with their linked cases,
recorded once, each household's share paid once, and repeats recognised."""

from datetime import UTC, datetime

import pytest

from services.cases import meetings_desk
from services.cases.exceptions import AlreadyPaid
from shared.errors import InvalidTransition
from tests.service.cases.making import case_in, step
from tests.service.conftest import OPS, POLICY
from tests.service.street import BUILDING, LIU_HONG, WANG

HOUSEHOLDS = ["2栋1单元101", "2栋1单元201", "2栋1单元301"]


def gate_meeting(*case_ids: str, request_id: str | None = None) -> dict:
    """On the evening of the first day (the clock starts at 09:00 that morning)."""
    return {"node_id": BUILDING, "kind": "building", "title": "2栋木门换铁门议事会",
            "scheduled_at": datetime(2026, 3, 2, 11, 30, tzinfo=UTC),
            "agenda": [{"title": "木门换成铁门，费用按户分摊", "case_ids": list(case_ids)}], "request_id": request_id}


def held(meeting_id: str, votes_for: int = 4, request_id: str | None = None) -> dict:
    return {"meeting_id": meeting_id, "eligible": 6, "request_id": request_id,
            "attendees": [{"name": f"业主{n}", "role": "resident", "household": f"2栋1单元{n}01"} for n in range(1, 6)],
            "votes": [{"item": 0, "votes_for": votes_for, "votes_against": 1, "abstain": 0}],
            "minutes": "五户到会，四户同意换铁门", "decision": "换铁门，费用按户平摊，交费领钥匙",
            "cost_split": {"item": 0, "total_fen": 10000, "households": HOUSEHOLDS}}


def links(store, case_id: str) -> list[str]:
    return [e["detail"]["meeting_id"] for e in store.cases.get(case_id)["timeline"] if e["action"] == "link_meeting"]


def test_a_meeting_is_scheduled_with_each_linked_case_linked_once(store, roster, clock):
    gate, door = (case_in(state, store, roster, clock)["_id"] for state in ("reported", "in_progress"))

    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(gate, door), POLICY, clock)

    assert (links(store, gate), links(store, door)) == ([meeting["_id"]], [meeting["_id"]])
    assert store.cases.get(door)["state"] == "in_progress"
    assert [e["payload"]["case_id"] for e in store.journal.events("case_meeting_linked")] == [gate, door]


def test_scheduling_again_with_the_same_request_id_gives_the_same_meeting_and_no_second_link(store, roster, clock):
    case_id = case_in("escalated", store, roster, clock)["_id"]
    first = meetings_desk.schedule(store, roster, OPS, gate_meeting(case_id, request_id="r-mtg-1"), POLICY, clock)

    again = meetings_desk.schedule(store, roster, OPS, gate_meeting(case_id, request_id="r-mtg-1"), POLICY, clock)

    assert again["_id"] == first["_id"]
    assert list(store.meetings.docs) == [first["_id"]]
    assert links(store, case_id) == [first["_id"]]


def test_a_meeting_on_a_closed_case_is_refused_before_anything_is_written(store, roster, clock):
    closed = case_in("reported", store, roster, clock)["_id"]
    step(store, roster, clock, closed, "self_resolve", {"result": "康师傅疏通了下水道"})
    step(store, roster, clock, closed, "evaluate", {"satisfied": True, "reason": None, "comment": "很满意"})
    open_case = case_in("reported", store, roster, clock)["_id"]
    before = store.snapshot()

    with pytest.raises(InvalidTransition) as refused:
        meetings_desk.schedule(store, roster, OPS, gate_meeting(open_case, closed), POLICY, clock)

    assert refused.value.details[0]["current_state"] == "closed"
    assert store.snapshot() == before


def test_a_link_meeting_another_step_on_the_case_is_tried_again_until_it_is_linked(store, roster, clock):
    case_id = case_in("in_progress", store, roster, clock)["_id"]
    store.journal.rival = lambda: step(store, roster, clock, case_id, "progress",
                                       {"note": "王芳回访", "site_visit": False}, WANG)

    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(case_id), POLICY, clock)

    assert links(store, case_id) == [meeting["_id"]]
    assert [e["action"] for e in store.cases.get(case_id)["timeline"]][-2:] == ["progress", "link_meeting"]


def test_a_meeting_is_recorded_once_with_quorum_adoption_and_shares(store, roster, clock):
    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(), POLICY, clock)
    clock.move(hours=12)

    recorded = meetings_desk.record(store, OPS, held(meeting["_id"]), POLICY, clock)
    with pytest.raises(InvalidTransition) as again:
        meetings_desk.record(store, LIU_HONG, held(meeting["_id"], votes_for=2), POLICY, clock)

    assert (recorded["state"], recorded["quorum"], recorded["agenda"][0]["adopted"]) == ("held", True, True)
    assert [s["share_fen"] for s in recorded["cost_split"]["shares"]] == [3334, 3333, 3333]
    assert again.value.details[0]["current_state"] == "held"
    assert store.meetings.get(meeting["_id"])["agenda"][0]["votes_for"] == 4


def test_recording_again_with_the_same_request_id_gives_the_record_kept(store, roster, clock):
    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(), POLICY, clock)
    clock.move(hours=12)
    first = meetings_desk.record(store, OPS, held(meeting["_id"], request_id="r-rec-1"), POLICY, clock)

    again = meetings_desk.record(store, OPS, held(meeting["_id"], request_id="r-rec-1"), POLICY, clock)

    assert again == first


def test_a_households_share_is_paid_once(store, roster, clock):
    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(), POLICY, clock)
    clock.move(hours=12)
    meetings_desk.record(store, OPS, held(meeting["_id"]), POLICY, clock)
    payment = {"meeting_id": meeting["_id"], "household": HOUSEHOLDS[1], "keys_handed_over": True}

    paid = meetings_desk.record_payment(store, OPS, payment, POLICY, clock)
    with pytest.raises(AlreadyPaid) as twice:
        meetings_desk.record_payment(store, LIU_HONG, payment, POLICY, clock)

    assert [s["paid"] for s in paid["cost_split"]["shares"]] == [False, True, False]
    assert twice.value.details[0]["field"] == "household"

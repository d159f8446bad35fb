"""A meeting's record and payments on a case: once per meeting and per share, in any state
but an end state; and a case is resolved past an unrecorded meeting only with a note."""

import pytest

from services.cases import lifecycle
from shared.errors import InvalidTransition, ValidationFailed
from tests.unit.cases.test_lifecycle import NOW, POLICY, case_in

OUTCOME = {"meeting_id": "mtg_jc2_gate", "title": "2栋木门换铁门议事会", "quorum": True, "decision": "换铁门"}
PAYMENT = {"meeting_id": "mtg_jc2_gate", "share": 1, "household": "2栋1单元201", "share_fen": 3333}


@pytest.mark.parametrize("state", ["reported", "in_progress", "suspended", "resolved"])
def test_a_meetings_record_is_posted_once_and_links_the_meeting(state):
    case = case_in(state)

    first = lifecycle.decide(case, "post_meeting_outcome", OUTCOME, NOW, POLICY)
    again = lifecycle.decide({**case, **first.changes}, "post_meeting_outcome", OUTCOME, NOW, POLICY)

    assert (first.to_state, first.events, first.detail["decision"]) == (state, ["case_meeting_recorded"], "换铁门")
    assert first.changes["meetings_recorded"] == first.changes["meetings"] == ["mtg_jc2_gate"]
    assert again is None


def test_each_share_paid_is_posted_once():
    case = case_in("in_progress")

    first = lifecycle.decide(case, "post_meeting_payment", PAYMENT, NOW, POLICY)
    other = lifecycle.decide({**case, **first.changes}, "post_meeting_payment", {**PAYMENT, "share": 2}, NOW, POLICY)
    again = lifecycle.decide({**case, **first.changes}, "post_meeting_payment", PAYMENT, NOW, POLICY)

    assert first.changes["meeting_payments"] == ["mtg_jc2_gate:1"]
    assert other.changes["meeting_payments"] == ["mtg_jc2_gate:1", "mtg_jc2_gate:2"]
    assert again is None


@pytest.mark.parametrize("state", ["closed", "duplicate", "sent_back"])
def test_an_ended_case_takes_no_posting(state):
    with pytest.raises(InvalidTransition):
        lifecycle.decide(case_in(state), "post_meeting_outcome", OUTCOME, NOW, POLICY)


def test_resolving_past_an_unrecorded_meeting_needs_a_note_kept_in_the_timeline():
    case = case_in("in_progress", meetings=["mtg_jc2_gate", "mtg_jc2_lift"], meetings_recorded=["mtg_jc2_lift"])

    with pytest.raises(ValidationFailed) as refused:
        lifecycle.decide(case, "resolve", {"result": "已换铁门"}, NOW, POLICY)
    step = lifecycle.decide(case, "resolve", {"result": "已换铁门", "meeting_note": "会议未召开，因住户已协商一致"},
                            NOW, POLICY)

    assert refused.value.details[0]["field"] == "meeting_note"
    assert step.detail["meetings_not_recorded"] == ["mtg_jc2_gate"]
    assert step.changes["meeting_note"] == "会议未召开，因住户已协商一致"


def test_a_case_awaiting_its_verdict_is_not_linked_to_a_meeting():
    with pytest.raises(InvalidTransition):
        lifecycle.decide(case_in("resolved"), "link_meeting", {"meeting_id": "mtg_jc2_gate"}, NOW, POLICY)

"""A meeting finishes the story of the cases it discusses: invitees, quorum over households,
a record not before the scheduled start, and the outcome and payments on every linked case's
timeline exactly once, even when a process dies between two cases."""

from datetime import UTC, datetime, timedelta

import pytest

from services.cases import meeting_posts, meetings_desk
from services.cases.reports import meeting_view
from shared.errors import InvalidTransition, ValidationFailed
from tests.service.cases.making import case_in, step
from tests.service.conftest import OPS, POLICY
from tests.service.street import BUILDING, LIU_HONG

START = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)  # 19:30 in Shanghai, the evening of the clock's first day
HOUSEHOLDS = [f"2栋1单元{n}01" for n in range(1, 7)]
OFFICIALS = [{"name": "曾玉琴", "role": "official"}, {"name": "康早新", "role": "official"}]
INVITEES = OFFICIALS + [{"name": f"{h}业主", "role": "household", "household": h} for h in HOUSEHOLDS]


def gate_meeting(*case_ids: str, invitees: list[dict] = INVITEES) -> dict:
    return {"node_id": BUILDING, "kind": "building", "title": "2栋木门换铁门议事会", "scheduled_at": START,
            "invitees": invitees, "agenda": [{"title": "木门换成铁门，费用按户分摊", "case_ids": list(case_ids)}]}


def attended(households: int, **changes) -> dict:
    """Two officials and the first `households` households; all but one household vote for."""
    attendees = [{"name": "曾玉琴", "role": "party_branch"}, {"name": "康早新", "role": "leader"}]
    attendees += [{"name": f"{h}业主", "role": "resident", "household": h} for h in HOUSEHOLDS[:households]]
    return {"eligible": None, "attendees": attendees, "request_id": None, "held_at": None,
            "votes": [{"item": 0, "votes_for": households - 1, "votes_against": 1, "abstain": 0}],
            "minutes": "到会住户多数同意换铁门", "decision": "换铁门，费用按户平摊，交费领钥匙",
            "cost_split": None, **changes}


def scheduled(store, roster, clock, *case_ids: str) -> str:
    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(*case_ids), POLICY, clock)
    clock.move(hours=12)  # the meeting is over
    return meeting["_id"]


def record(store, clock, meeting_id: str, households: int = 5, actor=OPS, **changes) -> dict:
    return meetings_desk.record(store, actor, {"meeting_id": meeting_id, **attended(households, **changes)}, POLICY,
                                clock)


def posted(store, case_id: str, action: str = "post_meeting_outcome") -> list[dict]:
    return [e["detail"] for e in store.cases.get(case_id)["timeline"] if e["action"] == action]


def test_a_meeting_keeps_its_invitees_officials_and_households(store, roster, clock):
    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(), POLICY, clock)

    invited = meeting_view(meeting)["invitees"]

    assert [i["role"] for i in invited] == ["official"] * 2 + ["household"] * 6
    assert invited[2]["household"] == "2栋1单元101"


def test_a_meeting_cannot_be_recorded_before_its_scheduled_start(store, roster, clock):
    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(), POLICY, clock)
    before = store.snapshot()

    with pytest.raises(ValidationFailed) as early:
        record(store, clock, meeting["_id"])

    assert list(early.value.fields) == ["held_at"]
    assert "2026-03-02T11:30:00" in early.value.details[0]["reason"]
    assert store.snapshot() == before


@pytest.mark.parametrize(("held_at", "reason"), [(START - timedelta(minutes=1), "before the scheduled start"),
                                                  (START + timedelta(days=1), "is in the future")])
def test_a_meeting_held_at_a_time_before_its_start_or_still_to_come_is_refused(store, roster, clock, held_at, reason):
    meeting_id = scheduled(store, roster, clock)

    with pytest.raises(ValidationFailed) as refused:
        record(store, clock, meeting_id, held_at=held_at)

    assert list(refused.value.fields) == ["held_at"] and reason in refused.value.details[0]["reason"]


def test_officials_attend_without_counting_towards_the_quorum_of_invited_households(store, roster, clock):
    short, enough = scheduled(store, roster, clock), scheduled(store, roster, clock)

    three = record(store, clock, short, households=3)  # 3 of 6 households, however many officials
    four = record(store, clock, enough, households=4)  # 4 of 6: two thirds

    assert (three["eligible"], three["households_attending"], three["quorum"]) == (6, 3, False)
    assert (four["households_attending"], four["quorum"], four["agenda"][0]["adopted"]) == (4, True, True)


def test_a_household_that_was_not_invited_does_not_attend_for_the_quorum(store, roster, clock):
    meeting_id = scheduled(store, roster, clock)
    stranger = attended(4)["attendees"] + [{"name": "3栋住户", "role": "resident", "household": "3栋1单元101"}]

    with pytest.raises(ValidationFailed) as refused:
        record(store, clock, meeting_id, attendees=stranger)

    assert list(refused.value.fields) == ["attendees.6.household"]


def test_without_invited_households_the_record_names_the_eligible_households(store, roster, clock):
    meeting = meetings_desk.schedule(store, roster, OPS, gate_meeting(invitees=OFFICIALS), POLICY, clock)
    clock.move(hours=12)

    with pytest.raises(ValidationFailed) as refused:
        record(store, clock, meeting["_id"])
    counted = record(store, clock, meeting["_id"], eligible=7)

    assert list(refused.value.fields) == ["eligible"]
    assert (counted["eligible"], counted["quorum"]) == (7, True)


def test_the_record_reaches_every_linked_case_once_with_outcome_votes_and_decision(store, roster, clock):
    gate, door = (case_in(state, store, roster, clock)["_id"] for state in ("reported", "in_progress"))
    meeting_id = scheduled(store, roster, clock, gate, door)

    held = record(store, clock, meeting_id, request_id="r-rec-1")
    again = record(store, clock, meeting_id, request_id="r-rec-1")
    with pytest.raises(InvalidTransition):
        record(store, clock, meeting_id, actor=LIU_HONG)

    for case_id in (gate, door):
        [detail] = posted(store, case_id)
        assert (detail["meeting_id"], detail["quorum"], detail["decision"]) == (meeting_id, True, held["decision"])
        assert detail["items"][0] == {"title": "木门换成铁门，费用按户分摊", "votes_for": 4, "votes_against": 1,
                                      "abstain": 0, "adopted": True}
    assert [e["payload"]["case_id"] for e in store.journal.events("case_meeting_recorded")] == [gate, door]
    assert meeting_view(again)["posted_to"] == [gate, door] and meeting_view(again)["posting_pending"] == []


def test_a_record_interrupted_between_two_cases_is_finished_by_its_repeat_without_doubling(store, roster, clock,
                                                                                          monkeypatch):
    gate, door = (case_in("in_progress", store, roster, clock)["_id"] for _ in range(2))
    meeting_id = scheduled(store, roster, clock, gate, door)
    real_post = meeting_posts.post

    def dies_at_the_second_case(store_, actor, case_id, *rest):
        if case_id == door:
            raise SystemExit("the process died")
        real_post(store_, actor, case_id, *rest)

    monkeypatch.setattr(meeting_posts, "post", dies_at_the_second_case)
    with pytest.raises(SystemExit):
        record(store, clock, meeting_id, request_id="r-rec-1")
    monkeypatch.setattr(meeting_posts, "post", real_post)
    halfway = meeting_view(store.meetings.get(meeting_id))

    record(store, clock, meeting_id, request_id="r-rec-1")

    assert (halfway["posted_to"], halfway["posting_pending"]) == ([gate], [door])
    assert (len(posted(store, gate)), len(posted(store, door))) == (1, 1)
    assert len(store.journal.events("case_meeting_recorded")) == 2


def test_a_case_posted_before_the_meeting_was_marked_is_not_posted_twice(store, roster, clock, monkeypatch):
    case_id = case_in("in_progress", store, roster, clock)["_id"]
    meeting_id = scheduled(store, roster, clock, case_id)
    real_update = store.meetings.update

    def dies_before_marking(meeting, change, when=None):
        if any(path.startswith("posted.") for path in change):
            raise SystemExit("the process died")
        return real_update(meeting, change, when)

    monkeypatch.setattr(store.meetings, "update", dies_before_marking)
    with pytest.raises(SystemExit):
        record(store, clock, meeting_id)
    monkeypatch.setattr(store.meetings, "update", real_update)

    with pytest.raises(InvalidTransition):  # another caller: the meeting is held, and its posting is finished
        record(store, clock, meeting_id, actor=LIU_HONG)

    assert len(posted(store, case_id)) == 1
    assert meeting_view(store.meetings.get(meeting_id))["posted_to"] == [case_id]


def test_each_payment_reaches_every_linked_case_and_the_meeting_sums_them_up(store, roster, clock):
    gate, door = (case_in("in_progress", store, roster, clock)["_id"] for _ in range(2))
    meeting_id = scheduled(store, roster, clock, gate, door)
    record(store, clock, meeting_id, cost_split={"item": 0, "total_fen": 10000, "households": HOUSEHOLDS[:3]})
    payment = {"meeting_id": meeting_id, "household": HOUSEHOLDS[1], "keys_handed_over": True}

    paid = meetings_desk.record_payment(store, OPS, payment, POLICY, clock)

    assert meeting_view(paid)["payments"] == {"households": 3, "paid": 1, "unpaid": 2, "total_fen": 10000,
                                              "paid_fen": 3333, "outstanding_fen": 6667, "keys_handed_over": 1}
    for case_id in (gate, door):
        [detail] = posted(store, case_id, "post_meeting_payment")
        assert (detail["household"], detail["share_fen"], detail["payments"]["unpaid"]) == (HOUSEHOLDS[1], 3333, 2)
    assert len(store.journal.events("case_meeting_payment_recorded")) == 2


def test_a_case_with_an_unrecorded_meeting_is_resolved_only_with_a_note_saying_why(store, roster, clock):
    case_id = case_in("in_progress", store, roster, clock)["_id"]
    meeting_id = scheduled(store, roster, clock, case_id)

    with pytest.raises(ValidationFailed) as refused:
        step(store, roster, clock, case_id, "resolve", {"result": "已换铁门"})
    resolved = step(store, roster, clock, case_id, "resolve",
                    {"result": "已换铁门", "meeting_note": "会议未召开，因住户已自行协商一致"})

    assert list(refused.value.fields) == ["meeting_note"] and meeting_id in refused.value.details[0]["reason"]
    assert resolved["timeline"][-1]["detail"]["meeting_note"] == "会议未召开，因住户已自行协商一致"
    assert resolved["timeline"][-1]["detail"]["meetings_not_recorded"] == [meeting_id]


def test_a_case_whose_meeting_is_recorded_is_resolved_without_a_note(store, roster, clock):
    case_id = case_in("reported", store, roster, clock)["_id"]
    record(store, clock, scheduled(store, roster, clock, case_id))

    resolved = step(store, roster, clock, case_id, "self_resolve", {"result": "已换铁门"})

    assert resolved["state"] == "self_resolved" and "meeting_note" not in resolved["timeline"][-1]["detail"]


def test_a_case_awaiting_the_residents_verdict_is_not_linked_to_a_new_meeting(store, roster, clock):
    case_id = case_in("reported", store, roster, clock)["_id"]
    step(store, roster, clock, case_id, "self_resolve", {"result": "康师傅疏通了下水道"})

    with pytest.raises(InvalidTransition) as refused:
        meetings_desk.schedule(store, roster, OPS, gate_meeting(case_id), POLICY, clock)

    assert refused.value.details[0]["current_state"] == "self_resolved"


def test_a_case_closed_before_its_meeting_was_recorded_is_skipped_and_the_meeting_says_so(store, roster, clock):
    case_id = case_in("in_progress", store, roster, clock)["_id"]
    meeting_id = scheduled(store, roster, clock, case_id)
    step(store, roster, clock, case_id, "resolve", {"result": "已换铁门", "meeting_note": "会议延期，先行处理"})
    step(store, roster, clock, case_id, "evaluate", {"satisfied": True, "reason": None, "comment": "满意"})

    held = meeting_view(record(store, clock, meeting_id))

    assert (held["posted_to"], held["not_posted"]) == ([], {case_id: "closed"})
    assert posted(store, case_id) == []

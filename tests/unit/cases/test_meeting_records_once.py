"""A meeting is recorded once and each household's share paid once, also when another
caller gets there between the read and the write."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.cases import meetings_desk
from services.cases.exceptions import AlreadyPaid, InvalidTransition
from shared.actor import Actor

OPS = Actor("ops", "admin")
NOW = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
MEETING = {"_id": "mtg_jc2", "state": "scheduled", "lineage": ["unit_jiayuan", "unit_jc2"],
           "title": "加装电梯议事会", "scheduled_at": NOW - timedelta(hours=2),
           "agenda": [{"title": "加装电梯及费用分摊", "case_ids": []}]}
POLICY = None  # no linked cases: nothing is posted, so no case policy is needed


def clock() -> datetime:
    return NOW


class FakeMeetings:
    """Meetings by id; `update` sets dotted paths only while `when` matches. `rival`, when
    set, runs once just before the next update, as another caller who got there first."""

    def __init__(self, meeting: dict):
        self.docs = {meeting["_id"]: copy.deepcopy(meeting)}
        self.rival: Callable[[], None] | None = None

    def get(self, meeting_id: str) -> dict:
        return copy.deepcopy(self.docs[meeting_id])

    def update(self, meeting_id: str, change: dict, when: dict | None = None) -> dict | None:
        if self.rival:
            rival, self.rival = self.rival, None
            rival()
        doc = self.docs[meeting_id]
        if any(_at(doc, path) != value for path, value in (when or {}).items()):
            return None
        for path, value in change.items():
            *parents, last = path.split(".")
            target = doc
            for part in parents:
                target = target[int(part)] if isinstance(target, list) else target[part]
            target[last] = value
        return self.get(meeting_id)


def _at(doc, path: str):
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc.get(part)
    return doc


class FakeStore:
    def __init__(self, meeting: dict = MEETING):
        self.meetings = FakeMeetings(meeting)


def record(minutes: str, households: tuple[str, ...] = ()) -> dict:
    data = {"meeting_id": "mtg_jc2", "eligible": 12,
            "attendees": [{"name": f"业主{n}", "role": "resident", "household": f"2栋{n}01"} for n in range(9)],
            "votes": [{"item": 0, "votes_for": 8}], "minutes": minutes, "decision": "同意加装电梯"}
    if households:
        data["cost_split"] = {"item": 0, "total_fen": 300, "households": list(households)}
    return data


def test_recording_a_meeting_a_rival_recorded_first_is_an_invalid_transition_naming_held():
    store = FakeStore()
    rival = Actor("rival", "admin")
    store.meetings.rival = lambda: meetings_desk.record(store, rival, record("先到的记录"), POLICY, clock)

    with pytest.raises(InvalidTransition) as lost:
        meetings_desk.record(store, OPS, record("后到的记录"), POLICY, clock)

    assert lost.value.details[0]["current_state"] == "held"
    assert store.meetings.docs["mtg_jc2"]["minutes"] == "先到的记录"


def test_paying_a_share_a_rival_paid_first_is_already_paid_naming_the_household():
    store = FakeStore()
    meetings_desk.record(store, OPS, record("记录", ("2栋101", "2栋201")), POLICY, clock)
    payment = {"meeting_id": "mtg_jc2", "household": "2栋201", "keys_handed_over": True}
    store.meetings.rival = lambda: meetings_desk.record_payment(store, Actor("rival", "admin"), payment, POLICY, clock)

    with pytest.raises(AlreadyPaid) as paid:
        meetings_desk.record_payment(store, OPS, {**payment, "keys_handed_over": False}, POLICY, clock)

    assert paid.value.code == "conflict"
    refusal = paid.value.details[0]
    assert (refusal["field"], refusal["reason"], refusal["paid_at"]) == ("household", "paid already",
                                                                          "2026-12-05T12:30:00.000+00:00")
    assert store.meetings.docs["mtg_jc2"]["cost_split"]["shares"][1]["keys_handed_over"] is True


def test_paying_a_share_paid_long_ago_is_already_paid_without_a_write():
    store = FakeStore()
    meetings_desk.record(store, OPS, record("记录", ("2栋101",)), POLICY, clock)
    meetings_desk.record_payment(store, OPS, {"meeting_id": "mtg_jc2", "household": "2栋101",
                                              "keys_handed_over": True}, POLICY, clock)
    store.meetings.rival = lambda: pytest.fail("a paid share is not written again")

    with pytest.raises(AlreadyPaid):
        meetings_desk.record_payment(store, OPS, {"meeting_id": "mtg_jc2", "household": "2栋101",
                                                  "keys_handed_over": True}, POLICY, clock)

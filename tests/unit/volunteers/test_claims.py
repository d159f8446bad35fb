"""Claims as pure functions: whatever members do in whatever order (claim, confirm, withdraw,
time passing), a task never holds more claimants than its head-count, nobody holds two places,
a freed place goes to the first member waiting, and the waiting list keeps its order."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.volunteers import claims, taskflow
from shared.errors import Forbidden, InvalidTransition

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=30)
OFFICE = {"who": "曾玉琴", "role": "secretary"}
SYSTEM = {"who": "volunteers", "role": "system"}


def member(n: int) -> dict:
    return {"_id": f"mbr_{n}", "person_id": f"person_{n}", "name": f"志愿者{n}", "skills": ["法律咨询"]}


def task(headcount: int = 3, **extra) -> dict:
    return {"_id": "task_1", "title": "法律讲座", "team_name": '爱"嘉"团', "state": "open", "headcount": headcount,
            "claimants": [], "waiting": [], "history": [], **extra}


def applied(doc: dict, decision: taskflow.Decision) -> dict:
    return {**doc, **decision.set, "history": [*doc["history"], *decision.entries]}


def people(doc: dict, where: str) -> list[str]:
    return [c["person_id"] for c in doc[where]]


def test_the_first_three_hold_the_places_and_the_rest_wait_in_the_order_they_came():
    doc = task()
    for n in range(6):
        doc = applied(doc, claims.claim(doc, member(n), OFFICE, START + timedelta(seconds=n), WINDOW))

    assert doc["state"] == "claimed"
    assert people(doc, "claimants") == ["person_0", "person_1", "person_2"]
    assert people(doc, "waiting") == ["person_3", "person_4", "person_5"]
    assert doc["next_expiry"] == START + WINDOW


def test_a_second_claim_by_the_same_member_changes_nothing():
    doc = applied(task(), claims.claim(task(), member(0), OFFICE, START, WINDOW))

    with pytest.raises(taskflow.NothingToDo):
        claims.claim(doc, member(0), OFFICE, START, WINDOW)


def test_a_withdrawn_place_goes_to_the_first_waiting_with_its_own_time_to_confirm():
    doc = task(headcount=1)
    for n in range(3):
        doc = applied(doc, claims.claim(doc, member(n), OFFICE, START, WINDOW))
    later = START + timedelta(minutes=10)

    decision = claims.withdraw(doc, "person_0", OFFICE, "临时有事", later, WINDOW)
    doc = applied(doc, decision)

    assert people(doc, "claimants") == ["person_1"] and people(doc, "waiting") == ["person_2"]
    assert doc["claimants"][0]["confirm_by"] == later + WINDOW
    assert [e["action"] for e in decision.entries] == ["release", "promote"]
    assert [(kind, extra["person_id"]) for kind, extra in decision.events] == [("task_released", "person_0"),
                                                                                ("task_claimed", "person_1")]


def test_only_unconfirmed_claims_past_their_time_are_released():
    doc = task(headcount=2)
    for n in range(4):
        doc = applied(doc, claims.claim(doc, member(n), OFFICE, START, WINDOW))
    doc = applied(doc, claims.confirm(doc, "person_0", OFFICE, START + timedelta(minutes=5)))

    with pytest.raises(taskflow.NothingToDo):
        claims.expire(doc, SYSTEM, START + WINDOW - timedelta(seconds=1), WINDOW)
    doc = applied(doc, claims.expire(doc, SYSTEM, START + WINDOW, WINDOW))

    assert people(doc, "claimants") == ["person_0", "person_2"]
    assert people(doc, "waiting") == ["person_3"]
    assert doc["history"][-2]["why"] == "expired" and doc["history"][-2]["person_id"] == "person_1"


def test_confirming_without_a_place_is_refused_naming_the_person():
    doc = task(headcount=1)
    for n in range(2):
        doc = applied(doc, claims.claim(doc, member(n), OFFICE, START, WINDOW))

    with pytest.raises(Forbidden) as refused:
        claims.confirm(doc, "person_1", OFFICE, START)
    assert refused.value.details[0]["field"] == "person_id"


def test_a_started_task_takes_no_claims_and_its_claims_no_longer_expire():
    doc = applied(task(), claims.claim(task(), member(0), OFFICE, START, WINDOW))
    doc = applied(doc, taskflow.start(doc, OFFICE, None, START + timedelta(minutes=1)))

    assert doc["state"] == "in_progress" and doc["next_expiry"] is None
    with pytest.raises(InvalidTransition):
        claims.claim(doc, member(1), OFFICE, START, WINDOW)
    with pytest.raises(taskflow.NothingToDo):
        claims.expire(doc, SYSTEM, START + 2 * WINDOW, WINDOW)


def test_the_first_claim_on_a_case_task_owes_the_case_its_acceptance_once():
    doc = task(case_id="case_1", case_accepted=False)
    first = claims.claim(doc, member(0), OFFICE, START, WINDOW)
    doc = applied(doc, first)
    second = claims.claim(doc, member(1), OFFICE, START, WINDOW)

    assert [a["action"] for a in first.case_actions] == ["accept"]
    assert second.case_actions == []


STEPS = st.lists(st.tuples(st.sampled_from(["claim", "confirm", "withdraw", "wait"]), st.integers(0, 9)),
                 max_size=60)


@settings(max_examples=300, deadline=None)
@given(headcount=st.integers(1, 4), steps=STEPS)
def test_no_sequence_of_steps_exceeds_the_headcount_or_gives_anyone_two_places(headcount, steps):
    doc, now = task(headcount=headcount), START
    for action, n in steps:
        try:
            if action == "claim":
                decision = claims.claim(doc, member(n), OFFICE, now, WINDOW)
            elif action == "confirm":
                decision = claims.confirm(doc, f"person_{n}", OFFICE, now)
            elif action == "withdraw":
                decision = claims.withdraw(doc, f"person_{n}", OFFICE, None, now, WINDOW)
            else:
                now += timedelta(minutes=n * 5)
                decision = claims.expire(doc, SYSTEM, now, WINDOW)
        except (taskflow.NothingToDo, Forbidden):
            continue
        before_waiting = people(doc, "waiting")
        doc = applied(doc, decision)
        everyone = people(doc, "claimants") + people(doc, "waiting")
        assert len(doc["claimants"]) <= headcount
        assert len(everyone) == len(set(everyone))
        assert doc["state"] == ("claimed" if doc["claimants"] else "open")
        if not doc["waiting"] or len(doc["claimants"]) == headcount:  # a free place never sits beside a queue
            promoted = [p for p in before_waiting if p in people(doc, "claimants")]
            assert promoted == before_waiting[:len(promoted)]  # promotions come from the front, in order
        else:
            pytest.fail("a place is free while members wait")

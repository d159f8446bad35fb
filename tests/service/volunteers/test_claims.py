"""Claims on a task: places up to the head-count, a waiting list in arrival order, a claim
released when withdrawn or not confirmed in time with the first waiting promoted, the required
skills (a staff override with its reason), and who may claim at all."""

from datetime import timedelta

import pytest

from services.volunteers import tasks_desk
from services.volunteers.exceptions import SkillsMissing
from shared.actor import Actor
from shared.errors import Forbidden, InvalidTransition, ValidationFailed
from tests.service.volunteers.conftest import (
    SECRETARY,
    SETTINGS,
    claimants,
    join,
    named,
    open_task,
    volunteer,
    waiting,
)

SYSTEM = Actor("volunteers", "system").as_dict()


def claim_in_turn(service_as, task: dict, people: range) -> dict:
    for n in people:
        task = service_as(volunteer(f"person_{n}")).claim_task(task_id=task["task_id"])
    return task


def test_six_members_on_three_places_three_claim_and_three_wait_in_arrival_order(service_as, team, members, clock,
                                                                                   store):
    task = open_task(service_as, team, clock, headcount=3)

    task = claim_in_turn(service_as, task, range(6))

    assert task["state"] == "claimed"
    assert claimants(task) == ["person_0", "person_1", "person_2"]
    assert waiting(task) == ["person_3", "person_4", "person_5"]
    assert [w["position"] for w in task["waiting"]] == [1, 2, 3]
    kept = store.tasks.get(task["task_id"])
    assert [c["confirm_by"] for c in kept["claimants"]] == [clock() + SETTINGS.confirm_within] * 3


def test_a_repeated_claim_changes_nothing(service_as, team, members, clock, broker):
    task = claim_in_turn(service_as, open_task(service_as, team, clock, headcount=3), range(2))
    published = len(broker.published)

    again = service_as(volunteer("person_1")).claim_task(task_id=task["task_id"])

    assert again["version"] == task["version"] and claimants(again) == ["person_0", "person_1"]
    assert len(broker.published) == published


def test_a_withdrawn_claim_goes_to_the_first_waiting(service_as, team, members, clock, broker):
    task = claim_in_turn(service_as, open_task(service_as, team, clock, headcount=3), range(5))
    published = len(broker.published)

    after = service_as(volunteer("person_1")).withdraw_claim(task_id=task["task_id"], reason="临时有事")

    assert claimants(after) == ["person_0", "person_2", "person_3"] and waiting(after) == ["person_4"]
    assert [(e["action"], e["person_id"]) for e in after["history"][-2:]] == [("release", "person_1"),
                                                                              ("promote", "person_3")]
    events = broker.published[published:]
    assert [(e["type"], e["payload"]["person_id"]) for e in events] == [("task_released", "person_1"),
                                                                        ("task_claimed", "person_3")]
    assert events[0]["payload"]["why"] == "withdrawn" and events[1]["payload"]["promoted"] is True


def test_claims_not_confirmed_in_time_are_released_and_the_waiting_promoted_in_order(service_as, team, members,
                                                                                      clock, store):
    task = claim_in_turn(service_as, open_task(service_as, team, clock, headcount=3), range(6))
    service_as(volunteer("person_1")).confirm_claim(task_id=task["task_id"])

    clock.move(minutes=59)
    early = tasks_desk.release_expired(store, SYSTEM, SETTINGS, clock)
    clock.move(minutes=2)
    changed = tasks_desk.release_expired(store, SYSTEM, SETTINGS, clock)

    after = store.tasks.get(task["task_id"])
    assert early == 0 and changed == 1
    assert [c["person_id"] for c in after["claimants"]] == ["person_1", "person_3", "person_4"]
    assert [w["person_id"] for w in after["waiting"]] == ["person_5"]
    released = [(e["person_id"], e["why"]) for e in after["history"] if e["action"] == "release"]
    assert released == [("person_0", "expired"), ("person_2", "expired")]
    assert after["next_expiry"] == clock() + SETTINGS.confirm_within


def test_a_confirmed_claim_is_never_released(service_as, team, members, clock, store):
    task = claim_in_turn(service_as, open_task(service_as, team, clock, headcount=1), range(2))
    service_as(volunteer("person_0")).confirm_claim(task_id=task["task_id"])

    clock.move(days=1)
    changed = tasks_desk.release_expired(store, SYSTEM, SETTINGS, clock)

    after = store.tasks.get(task["task_id"])
    assert changed == 0 and after["next_expiry"] is None
    assert [c["person_id"] for c in after["claimants"]] == ["person_0"]
    assert [w["person_id"] for w in after["waiting"]] == ["person_1"]


def test_a_member_without_the_required_skills_is_refused_naming_person_id(service_as, team, members, clock):
    task = open_task(service_as, team, clock, required_skills=["法律咨询"])

    with pytest.raises(SkillsMissing) as refused:
        service_as(volunteer("person_3")).claim_task(task_id=task["task_id"])

    assert named(refused.value) == ["person_id"] and refused.value.details[0]["missing"] == ["法律咨询"]
    assert claimants(service_as(SECRETARY).get_task(task_id=task["task_id"])) == []


def test_a_cancelled_task_says_so_before_the_skills_it_needed(service_as, team, members, clock):
    task = open_task(service_as, team, clock, required_skills=["法律咨询"])
    service_as(SECRETARY).cancel_task(task_id=task["task_id"], reason="改期")

    with pytest.raises(InvalidTransition) as refused:
        service_as(volunteer("person_3")).claim_task(task_id=task["task_id"])

    assert named(refused.value) == ["state"]


def test_staff_override_the_required_skills_with_a_reason_that_is_recorded(service_as, team, members, clock):
    task = open_task(service_as, team, clock, required_skills=["法律咨询"])

    after = service_as(SECRETARY).claim_task(task_id=task["task_id"], person_id="person_3",
                                             override_reason="赵大姐是调解员，熟悉邻里纠纷")

    assert claimants(after) == ["person_3"]
    assert after["claimants"][0]["override_reason"] == "赵大姐是调解员，熟悉邻里纠纷"
    assert after["history"][-1]["override_reason"] == "赵大姐是调解员，熟悉邻里纠纷"
    assert after["history"][-1]["actor"]["who"] == "曾玉琴"


def test_a_volunteer_may_not_override_the_required_skills(service_as, team, members, clock):
    task = open_task(service_as, team, clock, required_skills=["法律咨询"])

    with pytest.raises(Forbidden) as refused:
        service_as(volunteer("person_3")).claim_task(task_id=task["task_id"], override_reason="我也懂一点")

    assert named(refused.value) == ["override_reason"]


def test_a_volunteer_who_is_not_a_member_may_not_claim(service_as, team, members, clock):
    task = open_task(service_as, team, clock)

    with pytest.raises(Forbidden) as refused:
        service_as(volunteer("person_6")).claim_task(task_id=task["task_id"])

    assert named(refused.value) == ["role"]


def test_a_paused_member_may_not_claim_nor_be_claimed_for(service_as, team, clock):
    member = join(service_as, team, 0)
    service_as(SECRETARY).set_member_status(member_id=member["member_id"], status="paused", reason="出差")
    task = open_task(service_as, team, clock)

    with pytest.raises(Forbidden) as themselves:
        service_as(volunteer("person_0")).claim_task(task_id=task["task_id"])
    with pytest.raises(ValidationFailed) as for_them:
        service_as(SECRETARY).claim_task(task_id=task["task_id"], person_id="person_0")

    assert named(themselves.value) == ["role"] and named(for_them.value) == ["person_id"]
    assert claimants(service_as(SECRETARY).get_task(task_id=task["task_id"])) == []


def test_the_next_expiry_is_the_earliest_unconfirmed_claim(service_as, team, members, clock, store):
    task = open_task(service_as, team, clock, headcount=2)
    service_as(volunteer("person_0")).claim_task(task_id=task["task_id"])
    clock.move(minutes=10)
    service_as(volunteer("person_1")).claim_task(task_id=task["task_id"])
    first_due = store.tasks.get(task["task_id"])["next_expiry"]
    service_as(volunteer("person_0")).confirm_claim(task_id=task["task_id"])

    assert first_due == clock() - timedelta(minutes=10) + SETTINGS.confirm_within
    assert store.tasks.get(task["task_id"])["next_expiry"] == clock() + SETTINGS.confirm_within

"""A task's states: open → claimed → in_progress → completed / could_not_complete, or
cancelled before the end; a step from the wrong state is refused naming `state`, and once a
task starts its claims are settled (nothing left to expire)."""

import pytest

from services.volunteers import tasks_desk
from shared.actor import Actor
from shared.errors import InvalidTransition, ValidationFailed
from tests.service.volunteers.conftest import SECRETARY, SETTINGS, named, open_task, volunteer

SYSTEM = Actor("volunteers", "system").as_dict()


@pytest.fixture
def claimed(service_as, team, members, clock) -> dict:
    """A patrol person_0 claimed (not yet confirmed)."""
    task = open_task(service_as, team, clock)
    return service_as(volunteer("person_0")).claim_task(task_id=task["task_id"])


def test_an_open_task_cannot_start_before_someone_claims_it(service_as, team, members, clock):
    task = open_task(service_as, team, clock)

    with pytest.raises(InvalidTransition) as refused:
        service_as(SECRETARY).start_task(task_id=task["task_id"])

    assert named(refused.value) == ["state"] and refused.value.details[0]["current_state"] == "open"


def test_the_claimant_starts_and_completes_the_task_with_its_result(service_as, claimed, broker):
    claimant = service_as(volunteer("person_0"))

    started = claimant.start_task(task_id=claimed["task_id"], note="到达2栋")
    finished = claimant.finish_task(task_id=claimed["task_id"], outcome="completed", result="通道已清理")

    assert started["state"] == "in_progress" and finished["state"] == "completed"
    assert finished["result"] == "通道已清理" and finished["state_label"] == "已完成"
    assert [e["type"] for e in broker.published][-2:] == ["task_started", "task_completed"]


def test_completing_needs_the_result(service_as, claimed):
    claimant = service_as(volunteer("person_0"))
    claimant.start_task(task_id=claimed["task_id"])

    with pytest.raises(ValidationFailed) as refused:
        claimant.finish_task(task_id=claimed["task_id"], outcome="completed")

    assert named(refused.value) == ["result"]
    assert service_as(SECRETARY).get_task(task_id=claimed["task_id"])["state"] == "in_progress"


def test_a_task_that_could_not_be_completed_says_why(service_as, claimed):
    claimant = service_as(volunteer("person_0"))
    claimant.start_task(task_id=claimed["task_id"])

    with pytest.raises(ValidationFailed) as refused:
        claimant.finish_task(task_id=claimed["task_id"], outcome="could_not_complete")
    finished = claimant.finish_task(task_id=claimed["task_id"], outcome="could_not_complete", reason="住户不在家")

    assert named(refused.value) == ["reason"]
    assert finished["state"] == "could_not_complete" and finished["reason"] == "住户不在家"


def test_staff_cancel_a_claimed_task_with_a_reason(service_as, claimed, broker):
    cancelled = service_as(SECRETARY).cancel_task(task_id=claimed["task_id"], reason="暴雨停止户外活动")

    assert cancelled["state"] == "cancelled" and cancelled["reason"] == "暴雨停止户外活动"
    assert cancelled["next_expiry"] is None
    assert broker.published[-1]["type"] == "task_cancelled"


def test_a_cancelled_task_is_not_started_nor_finished_and_the_refusal_names_its_state(service_as, claimed):
    service_as(SECRETARY).cancel_task(task_id=claimed["task_id"], reason="暴雨")

    with pytest.raises(InvalidTransition) as start:
        service_as(SECRETARY).start_task(task_id=claimed["task_id"])
    with pytest.raises(InvalidTransition) as finish:
        service_as(SECRETARY).finish_task(task_id=claimed["task_id"], outcome="completed", result="巡完")

    for refused in (start.value, finish.value):
        assert named(refused) == ["state"] and refused.details[0]["current_state"] == "cancelled"


def test_starting_settles_the_claims_so_none_expires(service_as, claimed, clock, store):
    started = service_as(volunteer("person_0")).start_task(task_id=claimed["task_id"])

    clock.move(hours=5)
    changed = tasks_desk.release_expired(store, SYSTEM, SETTINGS, clock)

    assert claimed["next_expiry"] is not None and started["next_expiry"] is None
    assert all(c["confirmed_at"] for c in started["claimants"])
    assert changed == 0 and [c["person_id"] for c in store.tasks.get(claimed["task_id"])["claimants"]] == ["person_0"]


def test_starting_twice_changes_nothing(service_as, claimed, broker):
    claimant = service_as(volunteer("person_0"))
    started = claimant.start_task(task_id=claimed["task_id"])
    published = len(broker.published)

    again = claimant.start_task(task_id=claimed["task_id"])

    assert again["version"] == started["version"] and len(broker.published) == published

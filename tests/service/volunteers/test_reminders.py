"""Reminders: the claimants of a task about to start hear of it once (`task_reminder`, naming
them), staff hear once of a task about to start that nobody claimed (`task_unclaimed`), and a
task already under way gets neither, however often the timer scans."""

from services.volunteers import tasks_desk
from shared.actor import Actor
from tests.service.volunteers.conftest import SETTINGS, open_task, volunteer

SYSTEM = Actor("volunteers", "system").as_dict()


def scan(store, clock, times: int = 1) -> int:
    return sum(tasks_desk.send_reminders(store, SYSTEM, SETTINGS, clock) for _ in range(times))


def test_the_claimants_are_reminded_once_when_the_task_is_about_to_start(service_as, team, members, clock, store,
                                                                        broker):
    task = open_task(service_as, team, clock, starts_in=SETTINGS.remind_before * 1.5, headcount=2)
    for n in (0, 1):
        service_as(volunteer(f"person_{n}")).claim_task(task_id=task["task_id"])
    too_early = scan(store, clock)

    clock.move(hours=1.5)
    sent = scan(store, clock, times=4)

    reminders = broker.of("task_reminder")
    assert too_early == 0 and sent == 1 and len(reminders) == 1
    assert reminders[0]["payload"]["task_id"] == task["task_id"]
    assert reminders[0]["payload"]["claimants"] == ["person_0", "person_1"]
    assert reminders[0]["payload"]["starts_in_minutes"] == 90
    assert not broker.of("task_unclaimed")


def test_staff_hear_once_of_a_task_nobody_claimed_that_is_about_to_start(service_as, team, clock, store, broker):
    task = open_task(service_as, team, clock, starts_in=SETTINGS.unclaimed_alert * 2)
    too_early = scan(store, clock)

    clock.move(hours=25)
    sent = scan(store, clock, times=3)

    alerts = broker.of("task_unclaimed")
    assert too_early == 0 and sent == 1
    assert [a["payload"]["task_id"] for a in alerts] == [task["task_id"]] and alerts[0]["payload"]["claimants"] == []
    assert not broker.of("task_reminder")


def test_a_task_already_started_gets_no_reminder(service_as, team, members, clock, store, broker):
    task = open_task(service_as, team, clock, starts_in=SETTINGS.remind_before / 2)
    service_as(volunteer("person_0")).claim_task(task_id=task["task_id"])
    service_as(volunteer("person_0")).start_task(task_id=task["task_id"])

    sent = scan(store, clock, times=2)

    assert sent == 0 and not broker.of("task_reminder") and not broker.of("task_unclaimed")
    assert store.tasks.get(task["task_id"])["reminders"] == []

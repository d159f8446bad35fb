"""Overdue supervision (督办) over the fake store: one level further up the responsible chain
per period, and one step and one `case_overdue` per level, whichever instance's timer fires
and whenever the watch catches up."""

from services.cases import commands
from shared.actor import Actor
from tests.service.cases.making import case_in, step
from tests.service.conftest import POLICY

TIMER = Actor("cases", "system")


def supervise(store, roster, clock) -> int:
    """One tick of one instance's overdue timer."""
    return commands.supervise_overdue(store, roster, TIMER, POLICY, clock)


def overdue_levels(store) -> list[tuple[str, int, str]]:
    return [(e["payload"]["case_id"], e["payload"]["detail"]["supervision_level"],
             e["payload"]["detail"]["supervisors"]["name"]) for e in store.journal.events("case_overdue")]


def test_an_overdue_case_is_supervised_one_level_further_up_each_period(store, roster, clock):
    case = case_in("escalated", store, roster, clock, urgency="critical")  # a response is due within the hour
    clock.move(hours=1, seconds=1)

    moved = []
    for pause in (0, 23, 1, 24):  # hours since the last tick
        clock.move(hours=pause)
        moved.append(supervise(store, roster, clock))

    assert moved == [1, 0, 1, 1]
    assert overdue_levels(store) == [(case["_id"], 1, "红花坡片区"), (case["_id"], 2, "第一网格"),
                                     (case["_id"], 3, "嘉园社区")]
    stored = store.cases.get(case["_id"])  # by Wednesday the resolution (Tuesday 18:00) is overdue too
    assert (stored["overdue"], stored["supervision_level"]) == (["resolution", "response"], 3)
    assert stored["last_supervised_at"] == clock()


def test_a_case_not_yet_past_its_deadline_is_left_alone(store, roster, clock):
    case_in("escalated", store, roster, clock, urgency="critical")

    clock.move(minutes=59)

    moved = supervise(store, roster, clock)

    assert moved == 0
    assert roster.chains_asked == 0
    assert overdue_levels(store) == []


def test_a_second_timer_firing_before_the_watch_has_moved_finds_nothing_to_do(store, roster, clock):
    case = case_in("escalated", store, roster, clock, urgency="critical")
    store.journal.finishing_later = True  # the watch moves only once the finisher has run
    clock.move(hours=2)

    first = supervise(store, roster, clock)
    clock.move(seconds=1)
    second = supervise(store, roster, clock)
    store.journal.finish()
    third = supervise(store, roster, clock)

    assert (first, second, third) == (1, 0, 0)
    assert overdue_levels(store) == [(case["_id"], 1, "红花坡片区")]
    assert store.cases.get(case["_id"])["version"] == case["version"] + 1


def test_two_timers_reading_the_case_together_escalate_it_once(store, roster, clock):
    case = case_in("dispatched", store, roster, clock, urgency="critical")
    clock.move(hours=2)
    other_instance = []
    store.journal.rival = lambda: other_instance.append(supervise(store, roster, clock))

    this_instance = supervise(store, roster, clock)

    assert (this_instance, other_instance) == (0, [1])
    assert overdue_levels(store) == [(case["_id"], 1, "红花坡片区")]
    assert [e["action"] for e in store.cases.get(case["_id"])["timeline"]].count("flag_overdue") == 1


def test_many_cases_and_two_timers_interleaved_give_one_step_and_one_event_per_case_and_level(store, roster, clock):
    cases = [case_in("escalated", store, roster, clock, urgency="critical") for _ in range(40)]
    store.journal.finishing_later = True

    for _ in range(3):
        clock.move(hours=24, seconds=1)
        store.journal.rival = lambda: supervise(store, roster, clock)  # the other instance, mid-way through ours
        supervise(store, roster, clock)
        supervise(store, roster, clock)  # a tick before the finisher moved the watches
        store.journal.finish()

    levels = sorted((case_id, level) for case_id, level, _ in overdue_levels(store))
    assert levels == sorted((c["_id"], level) for c in cases for level in (1, 2, 3))
    assert {store.cases.get(c["_id"])["supervision_level"] for c in cases} == {3}


def test_a_case_accepted_and_resolved_in_time_is_never_supervised(store, roster, clock):
    case = case_in("accepted", store, roster, clock, urgency="critical")
    step(store, roster, clock, case["_id"], "resolve", {"result": "疏通完毕"})
    clock.move(days=3)

    moved = supervise(store, roster, clock)

    assert moved == 0
    assert case["_id"] not in store.watches.docs


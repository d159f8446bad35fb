"""Supervision of overdue cases (督办) as the state machine decides it: one level further up per
period, and nothing at all for a case already supervised at that level, however many timers
ask."""

from datetime import UTC, datetime, timedelta

import pytest

from services.cases import lifecycle
from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from services.cases.deciders import supervision_due
from services.cases.policy import CasePolicy
from services.cases.routing import reference
from services.cases.taxonomy import Taxonomy
from shared.errors import InvalidTransition

EVERY = timedelta(hours=24)
POLICY = CasePolicy(Taxonomy.from_config(None), DeadlinePolicy(DEFAULT_DEADLINES, {}, WorkCalendar()), EVERY,
                    reference)
RESPONSE_DUE = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tuesday 18:00 in Shanghai
NOW = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)  # Wednesday 10:30 in Shanghai
ZONE = {"unit_id": "unit_hhp", "name": "红花坡片区", "level": "zone",
        "leaders": [{"name": "陈平", "role": "zone_leader"}]}
GRID = {"unit_id": "unit_grid1", "name": "第一网格", "level": "grid",
        "leaders": [{"name": "刘红", "role": "grid_leader"}]}


def dispatched_case(**extra) -> dict:
    """A drains case at 金昌花园 2栋, dispatched to 嘉园社区 and not accepted in time."""
    return {"_id": "case_jc2_drains", "version": 5, "state": "dispatched", "category": "drains", "urgency": "normal",
            "deadlines": {"response": RESPONSE_DUE, "resolution": datetime(2026, 3, 9, 10, 0, tzinfo=UTC)},
            "overdue": [], **extra}


def flag(level: int, supervisors: dict = ZONE) -> dict:
    return {"kinds": ["response"], "supervision_level": level, "supervisors": supervisors}


def test_the_first_supervision_flags_the_deadline_and_goes_one_level_up():
    step = lifecycle.decide(dispatched_case(), "flag_overdue", flag(1), NOW, POLICY)

    assert step.changes == {"overdue": ["response"], "supervision_level": 1, "last_supervised_at": NOW,
                            "state": "dispatched"}
    assert step.events == ["case_overdue"]
    assert step.detail["supervisors"]["name"] == "红花坡片区"


def test_a_case_already_supervised_at_that_level_is_left_as_it_is():
    # A second timer read the case before the first one's step; it decides again on the case as it is now.
    supervised = dispatched_case(overdue=["response"], supervision_level=1, last_supervised_at=NOW, version=6)

    step = lifecycle.decide(supervised, "flag_overdue", flag(1), NOW + timedelta(milliseconds=5), POLICY)

    assert step is None


def test_supervision_waits_a_whole_period_before_moving_up_again():
    supervised = dispatched_case(overdue=["response"], supervision_level=1, last_supervised_at=NOW)

    early = lifecycle.decide(supervised, "flag_overdue", flag(2, GRID), NOW + EVERY - timedelta(seconds=1), POLICY)
    due = lifecycle.decide(supervised, "flag_overdue", flag(2, GRID), NOW + EVERY, POLICY)

    assert early is None
    assert (due.changes["supervision_level"], due.changes["last_supervised_at"]) == (2, NOW + EVERY)
    assert due.detail["supervisors"]["name"] == "第一网格"


def test_supervision_never_skips_a_level():
    step = lifecycle.decide(dispatched_case(), "flag_overdue", flag(2, GRID), NOW, POLICY)

    assert step is None


def test_a_later_deadline_passing_joins_the_ones_already_flagged():
    supervised = dispatched_case(overdue=["response"], supervision_level=1, last_supervised_at=NOW - EVERY)

    step = lifecycle.decide(supervised, "flag_overdue", {**flag(2, GRID), "kinds": ["response", "resolution"]},
                            NOW, POLICY)

    assert step.changes["overdue"] == ["resolution", "response"]


def test_a_suspended_case_is_not_supervised():
    case = dispatched_case(state="suspended", suspended_from="dispatched", suspended_at=NOW)

    with pytest.raises(InvalidTransition):
        lifecycle.decide(case, "flag_overdue", flag(1), NOW, POLICY)


@pytest.mark.parametrize(("level", "last_supervised", "asked_level", "at", "due"), [
    (0, None, 1, NOW, True),
    (0, None, 2, NOW, False),
    (1, NOW, 1, NOW, False),
    (1, NOW, 2, NOW + EVERY - timedelta(microseconds=1), False),
    (1, NOW, 2, NOW + EVERY, True),
    (3, NOW, 2, NOW + 5 * EVERY, False),
])
def test_supervision_is_due_one_level_above_the_case_once_a_period_has_passed(level, last_supervised, asked_level,
                                                                              at, due):
    case = dispatched_case(supervision_level=level, last_supervised_at=last_supervised)

    assert supervision_due(case, asked_level, at, EVERY) is due

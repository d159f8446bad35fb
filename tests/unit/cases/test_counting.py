"""Statistics counters: what each step adds and where, the rates read back, the period buckets."""

from datetime import UTC, date, datetime

import pytest

from services.cases import counting
from services.cases.periods import period_buckets

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def drains_case(**fields) -> dict:
    """A drains case at 金昌花园 2栋 as the journal keeps it, `counted` as its steps left it."""
    return {"_id": "case_jc2_drains", "state": "reported", "category": "drains", "urgency": "normal",
            "evaluations": [], "overdue": [], "counted": ["received"], **fields}


def test_a_new_case_is_received_once_in_its_category():
    case = drains_case(counted=[])

    changes = counting.deltas(None, case)

    assert changes == {"drains": {"received": 1}}


def test_a_case_the_unit_leader_fixed_himself_counts_as_self_resolved_resolved_and_on_time():
    before = drains_case()
    after = drains_case(state="self_resolved", self_resolved=True, resolved_at=AT)

    changes = counting.deltas(before, after)

    assert changes == {"drains": {"self_resolved": 1, "resolved": 1, "resolved_on_time": 1}}


def test_a_late_response_counts_as_responded_but_not_on_time():
    before = drains_case(state="dispatched", counted=["dispatched", "escalated", "received"])
    after = {**before, "state": "accepted", "accepted_at": AT, "responded_on_time": False}

    changes = counting.deltas(before, after)

    assert changes == {"drains": {"responded": 1}}


def test_a_milestone_already_counted_is_not_counted_again():
    before = drains_case(state="escalated", escalated_at=AT, counted=["escalated", "received"])
    after = {**before, "state": "triaged"}

    changes = counting.deltas(before, after)

    assert changes == {}


def test_every_evaluation_counts_and_only_satisfied_ones_count_as_satisfied():
    unhappy = {"satisfied": False, "reason": "又堵了", "at": AT}
    before = drains_case(state="resolved", resolved_at=AT, evaluations=[unhappy], reopen_count=1,
                         counted=["evaluated", "received", "reopened", "resolved"])
    after = {**before, "state": "closed", "evaluations": [unhappy, {"satisfied": True, "reason": None, "at": AT}]}

    changes = counting.deltas(before, after)

    assert changes == {"drains": {"evaluations": 1, "satisfied": 1, "closed": 1}}


def test_reclassifying_a_case_moves_its_earlier_counts_to_the_new_category():
    unhappy = {"satisfied": False, "reason": "不是下水道，是楼上漏水", "at": AT}
    before = drains_case(state="reopened", escalated_at=AT, evaluations=[unhappy], reopen_count=1,
                         counted=["escalated", "evaluated", "received", "reopened"])
    after = {**before, "state": "triaged", "category": "leaks"}

    changes = counting.deltas(before, after)

    assert changes == {
        "drains": {"escalated": -1, "evaluated": -1, "received": -1, "reopened": -1, "evaluations": -1},
        "leaks": {"escalated": 1, "evaluated": 1, "received": 1, "reopened": 1, "evaluations": 1},
    }


def test_a_milestone_reached_in_the_step_that_reclassifies_lands_only_in_the_new_category():
    before = drains_case(state="escalated", escalated_at=AT, counted=["escalated", "received"])
    after = {**before, "state": "triaged", "category": "leaks", "overdue": ["response"]}

    changes = counting.deltas(before, after)

    assert changes == {"drains": {"escalated": -1, "received": -1},
                       "leaks": {"escalated": 1, "received": 1, "overdue": 1}}


def test_counted_after_keeps_what_was_counted_even_when_the_case_no_longer_shows_it():
    before = drains_case(counted=["overdue", "received"])
    after = {**before, "overdue": []}

    assert counting.counted_after(before, after) == ["overdue", "received"]


def test_a_steps_counts_reach_every_node_of_its_scope_for_the_day_and_the_month():
    counts = {"nodes": ["unit_jiayuan", "unit_jc2"], "periods": counting.periods(date(2026, 3, 2)),
              "inc": {"drains": {"received": 1, "escalated": 1}}}

    expanded = counting.expand(counts)

    paths = {"c.drains.received": 1, "c.drains.escalated": 1}
    assert expanded == {"unit_jiayuan:2026-03-02": paths, "unit_jiayuan:2026-03": paths,
                        "unit_jc2:2026-03-02": paths, "unit_jc2:2026-03": paths}


def test_a_step_that_changes_no_count_touches_no_counter_document():
    assert counting.expand({}) == {}


def test_adding_up_counter_parts_gives_every_metric_per_category():
    parts = [{"drains": {"received": 2, "closed": 1}}, {"drains": {"received": 1}, "noise": {"received": 1}}]

    totals = counting.add_up(parts)

    assert totals["drains"]["received"] == 3
    assert totals["drains"]["closed"] == 1
    assert totals["drains"]["satisfied"] == 0
    assert totals["noise"]["received"] == 1


def test_rates_are_the_yardsticks_rounded_to_four_places():
    totals = {**dict.fromkeys(counting.METRICS, 0), "received": 3, "self_resolved": 1, "dispatched": 2,
              "responded_on_time": 1, "resolved": 3, "resolved_on_time": 2, "evaluations": 4, "satisfied": 3,
              "evaluated": 3, "reopened": 1}

    rates = counting.rates(totals)

    assert rates == {"self_resolved_rate": 0.3333, "response_rate": 0.5, "on_time_rate": 0.6667,
                     "resolution_rate": 1.0, "satisfaction_rate": 0.75, "reopen_rate": 0.3333}


def test_a_rate_with_nothing_to_divide_by_is_none_not_zero():
    rates = counting.rates(dict.fromkeys(counting.METRICS, 0))

    assert set(rates.values()) == {None}


def test_the_summary_adds_the_categories_up_and_keeps_each_one():
    per_category = {"drains": {**dict.fromkeys(counting.METRICS, 0), "received": 2, "closed": 1},
                    "noise": {**dict.fromkeys(counting.METRICS, 0), "received": 1}}

    summary = counting.summary(per_category)

    assert summary["totals"]["received"] == 3
    assert summary["rates"]["resolution_rate"] == 0.0
    assert list(summary["by_category"]) == ["drains", "noise"]
    assert summary["by_category"]["drains"]["totals"]["closed"] == 1


def test_a_period_over_three_months_uses_the_whole_february_and_the_days_around_it():
    buckets = period_buckets(date(2026, 1, 15), date(2026, 3, 10))

    assert buckets == ([f"2026-01-{d:02d}" for d in range(15, 32)] + ["2026-02"]
                       + [f"2026-03-{d:02d}" for d in range(1, 11)])


@pytest.mark.parametrize(("first", "last", "expected"), [
    (date(2026, 3, 2), date(2026, 3, 2), ["2026-03-02"]),
    (date(2026, 2, 1), date(2026, 2, 28), ["2026-02"]),
    (date(2026, 2, 1), date(2026, 2, 27), [f"2026-02-{d:02d}" for d in range(1, 28)]),
    (date(2025, 12, 31), date(2026, 1, 31), ["2025-12-31", "2026-01"]),
    (date(2026, 1, 1), date(2026, 12, 31), [f"2026-{m:02d}" for m in range(1, 13)]),
    (date(2024, 2, 1), date(2024, 2, 29), ["2024-02"]),
])
def test_whole_months_are_read_as_one_bucket_and_partial_months_day_by_day(first, last, expected):
    assert period_buckets(first, last) == expected


def test_the_counters_expected_for_stored_cases_count_each_case_under_every_node_and_period():
    closed = drains_case(state="closed", scope=["district", "jiayuan"], received_day="2026-03-02",
                         self_resolved=True, resolved_at=AT, evaluations=[{"satisfied": True}])
    reported = drains_case(_id="case_2", scope=["district"], received_day="2026-03-02")

    expected = counting.expected_counters([closed, reported])

    assert set(expected) == {"district:2026-03-02", "district:2026-03", "jiayuan:2026-03-02", "jiayuan:2026-03"}
    assert expected["district:2026-03"]["drains.received"] == 2
    assert expected["jiayuan:2026-03"] == {
        "drains.received": 1, "drains.self_resolved": 1, "drains.resolved": 1, "drains.resolved_on_time": 1,
        "drains.evaluated": 1, "drains.closed": 1, "drains.evaluations": 1, "drains.satisfied": 1}


def test_reconciling_names_every_counter_document_that_differs_from_the_cases():
    expected = {"a:2026-03": {"drains.received": 2}, "b:2026-03": {"drains.received": 1}}
    stored = counting.stored_counters([{"_id": "a:2026-03", "c": {"drains": {"received": 3, "closed": 0}}},
                                       {"_id": "c:2026-03", "c": {"drains": {"received": 0}}}])

    differing = counting.counters_differing(expected, stored)

    assert differing == {"a:2026-03": ({"drains.received": 2}, {"drains.received": 3}),
                         "b:2026-03": ({"drains.received": 1}, None)}


def test_a_tally_of_cases_holds_what_the_counters_of_their_node_would():
    cases = [{"category": "drains", "state": "closed", "self_resolved": True, "resolved_at": 1,
              "evaluations": [{"satisfied": True}]},
             {"category": "drains", "state": "escalated", "escalated_at": 1},
             {"category": "noise", "state": "reported"}]

    tallied = counting.tally(cases)

    assert (tallied["drains"]["received"], tallied["drains"]["closed"], tallied["drains"]["escalated"]) == (2, 1, 1)
    assert (tallied["drains"]["satisfied"], tallied["noise"]["received"], tallied["noise"]["closed"]) == (1, 1, 0)


@pytest.mark.parametrize(("first", "last"), [(date(9998, 12, 1), date(9998, 12, 31)), (date(1, 1, 1), date(1, 2, 3))])
def test_the_first_and_last_years_a_period_may_touch_have_buckets_without_overflow(first, last):
    buckets = period_buckets(first, last)

    assert buckets[0].startswith(first.isoformat()[:7])

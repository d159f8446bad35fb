"""Statistics answer for any node of the tree, from the district down to a unit, over local
days of a configurable time zone, by default from this month's first day to today."""

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.cases import commands
from services.cases.periods import stats_period
from services.cases.policy import CasePolicy
from services.cases.reports import CaseReader
from shared.errors import ValidationFailed
from tests.service.cases.making import DRAINS, case_in, step
from tests.service.conftest import OPS, POLICY
from tests.service.street import BUILDING, UNIT


@pytest.fixture
def other_unit(roster) -> str:
    """2栋 2单元, beside 1单元 in the fake roster."""
    unit = {**roster.units[UNIT], "unit_id": "unit_jc2_2", "name": "2单元", "path": ["嘉园社区", "金昌花园", "2栋",
                                                                                  "2单元"]}
    roster.units["unit_jc2_2"] = unit
    return "unit_jc2_2"


def stats(store, roster, node_id: str, date_from: date = date(2026, 3, 1), date_to: date = date(2026, 3, 31)) -> dict:
    return CaseReader(store, OPS, []).stats(roster, node_id, date_from, date_to)


def test_a_unit_counts_the_cases_reported_there_and_not_its_neighbours(store, roster, clock, other_unit):
    closed = case_in("reported", store, roster, clock)["_id"]
    step(store, roster, clock, closed, "self_resolve", {"result": "康师傅疏通了下水道"})
    step(store, roster, clock, closed, "evaluate", {"satisfied": True, "reason": None, "comment": "很满意"})
    case_in("in_progress", store, roster, clock)
    case_in("reported", store, roster, clock, unit_id=other_unit)

    unit, neighbour = stats(store, roster, UNIT), stats(store, roster, other_unit)

    assert (unit["level"], unit["totals"]["received"], unit["totals"]["closed"]) == ("unit", 2, 1)
    assert (unit["totals"]["self_resolved"], unit["totals"]["dispatched"], unit["rates"]["satisfaction_rate"]) == \
        (1, 1, 1.0)
    assert unit["by_category"]["drains"]["totals"]["received"] == 2
    assert neighbour["totals"]["received"] == 1


def test_a_building_counts_the_cases_of_all_its_units(store, roster, clock, other_unit):
    case_in("escalated", store, roster, clock)
    case_in("reported", store, roster, clock, unit_id=other_unit)

    building = stats(store, roster, BUILDING)

    assert (building["level"], building["totals"]["received"], building["totals"]["escalated"]) == ("building", 2, 1)


def test_a_unit_and_its_building_agree_on_the_same_cases(store, roster, clock):
    for state in ("reported", "dispatched", "in_progress"):
        case_in(state, store, roster, clock)

    unit, building = stats(store, roster, UNIT), stats(store, roster, BUILDING)

    assert unit["totals"] == building["totals"] and unit["rates"] == building["rates"]


def test_a_unit_outside_the_period_counts_nothing(store, roster, clock):
    case_in("reported", store, roster, clock)

    april = stats(store, roster, UNIT, date_from=date(2026, 4, 1), date_to=date(2026, 4, 30))

    assert april["totals"]["received"] == 0


def test_the_default_period_runs_from_this_months_first_day_to_today():
    assert stats_period(None, None, date(2026, 3, 17)) == (date(2026, 3, 1), date(2026, 3, 17))
    assert stats_period(None, date(2026, 2, 10), date(2026, 3, 17)) == (date(2026, 2, 1), date(2026, 2, 10))
    assert stats_period(date(2026, 1, 5), None, date(2026, 3, 17)) == (date(2026, 1, 5), date(2026, 3, 17))


def test_the_rpc_takes_today_in_the_configured_zone(service_as):
    answer = service_as().stats(node_id=BUILDING)

    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert (answer["date_from"], answer["date_to"]) == (today.replace(day=1).isoformat(), today.isoformat())


@pytest.mark.parametrize(("period", "field"), [
    ({"date_from": date(2026, 4, 1)}, "date_from"),  # after today
    ({"date_from": date(2010, 1, 1)}, "date_from"),  # more than ten years before today
    ({"date_to": date(2026, 2, 1), "date_from": date(2026, 3, 1)}, "date_to"),
])
def test_a_period_out_of_order_or_too_long_once_defaults_are_filled_in_names_the_field(period, field):
    with pytest.raises(ValidationFailed) as refused:
        stats_period(period.get("date_from"), period.get("date_to"), date(2026, 3, 31))

    assert list(refused.value.fields) == [field]


def test_the_day_a_case_is_received_is_the_day_in_the_configured_zone(store, roster, clock):
    late_evening_utc = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # already 2 March in Shanghai

    in_shanghai = commands.report(store, roster, OPS, DRAINS, POLICY, late_evening_utc)
    in_utc = commands.report(store, roster, OPS, DRAINS, replace(POLICY, zone=UTC), late_evening_utc)

    assert (in_shanghai["received_day"], in_utc["received_day"]) == ("2026-03-02", "2026-03-01")


def test_a_zone_that_does_not_exist_is_refused_when_the_config_is_read():
    with pytest.raises(ValueError, match="LOCAL_TIMEZONE"):
        CasePolicy.from_config({"LOCAL_TIMEZONE": "Mars/Olympus_Mons"})

"""Working days, holidays and 调休, and deadlines at 18:00 Shanghai time kept in UTC."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from shared.clock import SHANGHAI

#: 2026 as the State Council set it: the Spring Festival and National Day breaks with their make-up days.
CALENDAR_2026 = WorkCalendar.from_config(
    ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
     "2026-02-23", "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
    ["2026-01-04", "2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"])


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 3, 6), True),     # a Friday
    (date(2026, 3, 7), False),    # a Saturday
    (date(2026, 3, 8), False),    # a Sunday
    (date(2026, 2, 17), False),   # 春节, a Tuesday
    (date(2026, 2, 14), True),    # a Saturday worked for 春节 (调休)
    (date(2026, 1, 4), True),     # a Sunday worked for 元旦
    (date(2026, 10, 7), False),   # 国庆, a Wednesday
    (date(2026, 10, 10), True),   # a Saturday worked for 国庆
])
def test_a_day_is_a_working_day_on_weekdays_and_make_up_days_but_not_on_holidays(day, working):
    assert CALENDAR_2026.is_working_day(day) is working


def test_a_calendar_with_nothing_configured_works_monday_to_friday():
    calendar = WorkCalendar.from_config()

    week = [calendar.is_working_day(date(2026, 3, 2) + timedelta(days=n)) for n in range(7)]

    assert week == [True, True, True, True, True, False, False]


def test_one_working_day_after_a_friday_ends_on_monday_at_six_in_the_evening_shanghai_time():
    friday_morning = shanghai(2026, 3, 6, 9, 30)

    due = CALENDAR_2026.after_working_days(friday_morning, 1)

    assert due == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert due.tzinfo == UTC


def test_a_case_reported_on_saturday_counts_its_working_days_from_monday():
    saturday = shanghai(2026, 3, 7, 15, 0)

    due = CALENDAR_2026.after_working_days(saturday, 1)

    assert due == shanghai(2026, 3, 9, 18, 0)


def test_the_day_counted_from_is_the_shanghai_day_not_the_utc_one():
    # Sunday 17:30 UTC is already Monday 01:30 in Shanghai.
    monday_night = datetime(2026, 3, 8, 17, 30, tzinfo=UTC)

    due = CALENDAR_2026.after_working_days(monday_night, 1)

    assert due == shanghai(2026, 3, 10, 18, 0)


def test_the_spring_festival_holidays_are_skipped_and_the_make_up_saturday_counts():
    friday_before = shanghai(2026, 2, 13, 10, 0)

    due = CALENDAR_2026.after_working_days(friday_before, 5)

    # 14 Feb (Saturday, 调休) is the first; 16-20 and 23 Feb are off; then 24, 25, 26, 27 Feb.
    assert due == shanghai(2026, 2, 27, 18, 0)
    assert due == datetime(2026, 2, 27, 10, 0, tzinfo=UTC)


def test_the_national_day_break_pushes_a_deadline_past_the_make_up_saturday():
    wednesday_before = shanghai(2026, 9, 30, 16, 0)

    due = CALENDAR_2026.after_working_days(wednesday_before, 2)

    # 1-7 October are all off; 8 October (Thursday) is the first, 9 October (Friday) the second.
    assert due == shanghai(2026, 10, 9, 18, 0)


def test_clock_hours_run_through_nights_weekends_and_holidays():
    friday_evening = datetime(2026, 2, 13, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai

    due = CALENDAR_2026.add(friday_evening, {"hours": 4})

    assert due == datetime(2026, 2, 13, 16, 0, tzinfo=UTC)


def test_a_window_in_working_days_ends_at_the_close_of_a_working_day():
    friday_evening = datetime(2026, 2, 13, 12, 0, tzinfo=UTC)

    due = CALENDAR_2026.add(friday_evening, {"working_days": 2})

    assert due == shanghai(2026, 2, 24, 18, 0)


@pytest.mark.parametrize(("urgency", "response", "resolution"), [
    ("normal", shanghai(2026, 3, 3, 18, 0), shanghai(2026, 3, 9, 18, 0)),
    ("urgent", shanghai(2026, 3, 2, 13, 0), shanghai(2026, 3, 4, 18, 0)),
    ("critical", shanghai(2026, 3, 2, 10, 0), shanghai(2026, 3, 3, 18, 0)),
])
def test_each_urgency_has_its_own_response_and_resolution_windows(urgency, response, resolution):
    policy = DeadlinePolicy(DEFAULT_DEADLINES, {}, CALENDAR_2026)

    deadlines = policy.due("drains", urgency, datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai

    assert deadlines == {"response": response, "resolution": resolution}
    assert all(d.tzinfo == UTC for d in deadlines.values())


def test_a_category_override_replaces_the_urgency_windows_only_for_that_category():
    policy = DeadlinePolicy(DEFAULT_DEADLINES, {"safety_hazard": {"normal": {
        "response": {"hours": 2}, "resolution": {"working_days": 1}}}}, CALENDAR_2026)
    reported = shanghai(2026, 3, 2, 9, 0)

    hazard = policy.due("safety_hazard", "normal", reported)
    drains = policy.due("drains", "normal", reported)

    assert hazard == {"response": shanghai(2026, 3, 2, 11, 0), "resolution": shanghai(2026, 3, 3, 18, 0)}
    assert drains["resolution"] == shanghai(2026, 3, 9, 18, 0)

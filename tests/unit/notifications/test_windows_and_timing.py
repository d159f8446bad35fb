"""Quiet hours as a weekly schedule in Asia/Shanghai, and when a message goes out: 特急 at once,
the rest in the next window, bursts folded into one digest."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notifications.timing import Timing, timing
from services.notifications.windows import BadSchedule, Schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOOKBACK = timedelta(minutes=5)


def local(day: int, hh: int, mm: int = 0) -> datetime:
    """2026-12-<day> (the 1st is a Tuesday) at hh:mm in Shanghai, as UTC."""
    return datetime(2026, 12, day, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def test_the_default_schedule_is_open_at_lunch_and_after_dinner_only():
    schedule = Schedule.read(None)

    assert [schedule.is_open(local(1, h, m)) for h, m in [(12, 59), (13, 0), (14, 29), (14, 30), (18, 45), (20, 0)]] \
        == [False, True, True, False, True, False]


def test_the_next_window_opens_the_same_day_or_the_next_one_with_a_window():
    weekdays_only = Schedule.read({"1": [["09:00", "17:00"]], "5": [["09:00", "12:00"]]})

    assert Schedule.read(None).next_open(local(1, 15)) == local(1, 18, 30)
    assert Schedule.read(None).next_open(local(1, 20)) == local(2, 13)
    assert weekdays_only.next_open(local(1, 10)) == local(4, 9)  # Friday 4 December
    assert weekdays_only.next_open(local(4, 13)) == local(7, 9)  # Monday 7 December


def test_a_schedule_without_windows_never_holds_a_message_back():
    assert Schedule.read({}).next_open(local(1, 3)) == local(1, 3)


@pytest.mark.parametrize("spec, field", [
    ({"8": [["09:00", "10:00"]]}, "windows.8"),
    ({"mon": [["09:00", "10:00"]]}, "windows.mon"),
    ({"1": [["10:00", "09:00"]]}, "windows.1.0"),
    ({"1": [["9:00", "10:00"]]}, "windows.1.0"),
    ({"1": [["09:00", "24:30"]]}, "windows.1.0"),
    ({"1": [["09:00"]]}, "windows.1.0"),
    ({"1": "09:00-10:00"}, "windows.1"),
    (["09:00"], "windows"),
])
def test_a_bad_schedule_names_where_it_is_wrong(spec, field):
    with pytest.raises(BadSchedule) as bad:
        Schedule.read(spec)

    assert bad.value.field == field


def test_a_schedule_reads_back_what_it_stores_without_arrays_inside_arrays():
    spec = {"1": [["18:30", "19:30"], ["13:00", "14:30"]], "6": [["10:00", "11:00"]]}
    stored = Schedule.read(spec).stored()

    assert stored["6"] == [{"start": "10:00", "end": "11:00"}]
    assert Schedule.read(stored).shown() == {"1": [["13:00", "14:30"], ["18:30", "19:30"]], "6": [["10:00", "11:00"]]}


def test_a_critical_message_goes_at_once_even_at_night():
    assert timing("critical", local(1, 2), Schedule.read(None), None, LOOKBACK) == Timing(local(1, 2))


def test_a_normal_message_in_quiet_hours_waits_for_the_next_window_in_its_digest():
    at_night = timing("urgent", local(1, 2), Schedule.read(None), None, LOOKBACK)
    later = timing("normal", local(1, 9, 30), Schedule.read(None), None, LOOKBACK)

    assert at_night == later == Timing(local(1, 13), local(1, 13))
    assert at_night.digest_key("p1") == later.digest_key("p1") != at_night.digest_key("p2")


def test_inside_a_window_the_first_goes_at_once_and_repeats_within_the_lookback_are_batched():
    schedule = Schedule.read(None)
    first = timing("normal", local(1, 13, 10), schedule, None, LOOKBACK)
    second = timing("normal", local(1, 13, 11), schedule, local(1, 13, 10), LOOKBACK)
    third = timing("normal", local(1, 13, 14), schedule, local(1, 13, 10), LOOKBACK)
    after = timing("normal", local(1, 13, 16), schedule, local(1, 13, 10), LOOKBACK)

    assert first == Timing(local(1, 13, 10)) and after == Timing(local(1, 13, 16))
    assert second == third == Timing(local(1, 13, 15), local(1, 13, 15))


def test_a_batch_that_would_end_after_the_window_closes_waits_for_the_next_window():
    late = timing("normal", local(1, 14, 27), Schedule.read(None), local(1, 14, 26), LOOKBACK)

    assert late == Timing(local(1, 18, 30), local(1, 18, 30))

"""The working-day calendar 12345 and the community count deadlines on: weekends and configured
holidays off, make-up working days (调休) on, a working-day deadline at the end of the local day."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.clock import SHANGHAI

#: A working-day deadline falls at this local time on its last working day.
END_OF_WORKING_DAY = time(18, 0)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days worked instead of a holiday

    @classmethod
    def from_config(cls, holidays: Iterable[str] = (), workdays: Iterable[str] = ()) -> "WorkCalendar":
        return cls(frozenset(date.fromisoformat(str(d)) for d in holidays or ()),
                   frozenset(date.fromisoformat(str(d)) for d in workdays or ()))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def after_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the `days`-th working day after the local day of `start`."""
        day = start.astimezone(SHANGHAI).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return datetime.combine(day, END_OF_WORKING_DAY, SHANGHAI).astimezone(UTC)

    def add(self, start: datetime, window: Mapping[str, int]) -> datetime:
        """`start` plus a window of `{"hours": n}` (clock hours) or `{"working_days": n}`."""
        if "hours" in window:
            return start + timedelta(hours=window["hours"])
        return self.after_working_days(start, window["working_days"])

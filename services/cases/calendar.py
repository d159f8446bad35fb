"""Working-day calendar and deadlines: holidays and make-up working days (调休) configured,
deadlines computed in Shanghai time and stored in UTC."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.clock import SHANGHAI

#: A working-day deadline falls at this local time on its last working day.
END_OF_WORKING_DAY = time(18, 0)

#: Response and resolution windows per urgency, as 12345 sets them for community cases.
DEFAULT_DEADLINES: dict[str, dict[str, dict[str, int]]] = {
    "normal": {"response": {"working_days": 1}, "resolution": {"working_days": 5}},
    "urgent": {"response": {"hours": 4}, "resolution": {"working_days": 2}},
    "critical": {"response": {"hours": 1}, "resolution": {"working_days": 1}},
}


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


@dataclass(frozen=True)
class DeadlinePolicy:
    """Windows per urgency, with per-category overrides."""

    by_urgency: Mapping[str, Mapping[str, Mapping[str, int]]]
    by_category: Mapping[str, Mapping[str, Mapping[str, Mapping[str, int]]]]
    calendar: WorkCalendar

    def windows(self, category: str, urgency: str) -> Mapping[str, Mapping[str, int]]:
        override = self.by_category.get(category, {}).get(urgency)
        return override or self.by_urgency.get(urgency) or DEFAULT_DEADLINES[urgency]

    def due(self, category: str, urgency: str, start: datetime) -> dict[str, datetime]:
        """When the response and the resolution of a case counted from `start` are due."""
        windows = self.windows(category, urgency)
        return {kind: self.calendar.add(start, windows[kind]) for kind in ("response", "resolution")}

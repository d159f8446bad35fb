"""Deadlines of cases: windows per urgency (and per category) on the working-day calendar
(`shared.workdays`), computed in Shanghai time and stored in UTC."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.workdays import END_OF_WORKING_DAY, WorkCalendar

__all__ = ["DEFAULT_DEADLINES", "END_OF_WORKING_DAY", "DeadlinePolicy", "WorkCalendar"]

#: Response and resolution windows per urgency, as 12345 sets them for community cases.
DEFAULT_DEADLINES: dict[str, dict[str, dict[str, int]]] = {
    "normal": {"response": {"working_days": 1}, "resolution": {"working_days": 5}},
    "urgent": {"response": {"hours": 4}, "resolution": {"working_days": 2}},
    "critical": {"response": {"hours": 1}, "resolution": {"working_days": 1}},
}


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

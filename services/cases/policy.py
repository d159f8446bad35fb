"""The configured case policy every command is decided by: the categories, the deadlines,
how often supervision moves up, and who is responsible (the routing plugin)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from services.cases.routing import Router, load_router
from services.cases.taxonomy import Taxonomy


@dataclass(frozen=True)
class CasePolicy:
    taxonomy: Taxonomy
    deadlines: DeadlinePolicy
    supervise_every: timedelta  # supervision of an overdue case moves one level up per this period
    route: Router

    @classmethod
    def from_config(cls, config: Mapping) -> "CasePolicy":
        """Config: `CATEGORIES` (code → label), `DEADLINES` (urgency → windows),
        `CATEGORY_DEADLINES` (category → urgency → windows), `HOLIDAYS` and `WORKDAYS` (ISO
        dates), `SUPERVISE_EVERY_HOURS` (default 24), `ROUTING_RULES` (plugin, default `reference`)."""
        calendar = WorkCalendar.from_config(config.get("HOLIDAYS") or (), config.get("WORKDAYS") or ())
        deadlines = DeadlinePolicy(config.get("DEADLINES") or DEFAULT_DEADLINES,
                                   config.get("CATEGORY_DEADLINES") or {}, calendar)
        return cls(Taxonomy.from_config(config.get("CATEGORIES")), deadlines,
                   timedelta(hours=float(config.get("SUPERVISE_EVERY_HOURS", 24))),
                   load_router(str(config.get("ROUTING_RULES", "reference"))))

"""The configured case policy every command is decided by: the categories, the deadlines,
how often supervision moves up, who is responsible (the routing plugin), and the time zone
of the local days cases are counted by."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from services.cases.routing import Router, load_router
from services.cases.taxonomy import Taxonomy
from shared.clock import SHANGHAI


@dataclass(frozen=True)
class CasePolicy:
    taxonomy: Taxonomy
    deadlines: DeadlinePolicy
    supervise_every: timedelta  # supervision of an overdue case moves one level up per this period
    route: Router
    zone: tzinfo = SHANGHAI  # the local days a case is received on and statistics count by

    @classmethod
    def from_config(cls, config: Mapping) -> "CasePolicy":
        """Config: `CATEGORIES` (code → label), `DEADLINES` (urgency → windows),
        `CATEGORY_DEADLINES` (category → urgency → windows), `HOLIDAYS` and `WORKDAYS` (ISO
        dates), `SUPERVISE_EVERY_HOURS` (default 24), `ROUTING_RULES` (plugin, default `reference`),
        `CATEGORY_GROUPS` (group label → codes), `LOCAL_TIMEZONE` (IANA name, default Asia/Shanghai)."""
        calendar = WorkCalendar.from_config(config.get("HOLIDAYS") or (), config.get("WORKDAYS") or ())
        deadlines = DeadlinePolicy(config.get("DEADLINES") or DEFAULT_DEADLINES,
                                   config.get("CATEGORY_DEADLINES") or {}, calendar)
        return cls(Taxonomy.from_config(config.get("CATEGORIES"), config.get("CATEGORY_GROUPS")), deadlines,
                   timedelta(hours=float(config.get("SUPERVISE_EVERY_HOURS", 24))),
                   load_router(str(config.get("ROUTING_RULES", "reference"))),
                   local_zone(config.get("LOCAL_TIMEZONE")))


def local_zone(name: object) -> tzinfo:
    """The configured zone (an IANA name such as Asia/Shanghai), Asia/Shanghai when unset."""
    try:
        return ZoneInfo(str(name or "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"LOCAL_TIMEZONE: not a time zone name: {name!r}") from None

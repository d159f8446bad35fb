"""The configured rules of the cases service, built once per container from config."""

from datetime import timedelta

from nameko.extensions import DependencyProvider

from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from services.cases.commands import Rules
from services.cases.routing import RuleSet, load_rules
from services.cases.taxonomy import Taxonomy


class CaseRules(DependencyProvider):
    """Config: `CATEGORIES` (code → label), `DEADLINES` (urgency → windows),
    `CATEGORY_DEADLINES` (category → urgency → windows), `HOLIDAYS` and `WORKDAYS` (ISO dates),
    `SUPERVISE_EVERY_HOURS` (default 24), `ROUTING_RULES` (plugin name, default `reference`)."""

    def setup(self) -> None:
        config = self.container.config
        calendar = WorkCalendar.from_config(config.get("HOLIDAYS") or (), config.get("WORKDAYS") or ())
        policy = DeadlinePolicy(config.get("DEADLINES") or DEFAULT_DEADLINES, config.get("CATEGORY_DEADLINES") or {},
                                calendar)
        self.rules = Rules(Taxonomy.from_config(config.get("CATEGORIES")), policy,
                           timedelta(hours=float(config.get("SUPERVISE_EVERY_HOURS", 24))))
        self.route: RuleSet = load_rules(str(config.get("ROUTING_RULES", "reference")))

    def get_dependency(self, worker_ctx) -> "CaseRules":
        return self

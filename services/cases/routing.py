"""Who is responsible (啥事儿该找谁): routing rules are plugins in the entry-point group
`linli.case_routing`, chosen by `ROUTING_RULES` in config.

A rule set is a callable `(case, chain) -> Suggestion`, where `case` is the case document
and `chain` the unit's responsible chain from rosters (unit first, community last, each
level with `level`, `name`, `facts` and `leaders`).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

from shared import plugins

GROUP = "linli.case_routing"

#: The kinds of party a case can be dispatched to.
PARTY_KINDS = ("person", "community", "property_company", "department", "support_team")


@dataclass(frozen=True)
class Suggestion:
    kind: str  # one of PARTY_KINDS
    name: str
    reason: str
    party_id: str | None = None
    mediation: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


RuleSet = Callable[[Mapping, Sequence[Mapping]], Suggestion]


def load_rules(name: str) -> RuleSet:
    return plugins.load(GROUP, name)


def level(chain: Sequence[Mapping], name: str) -> Mapping | None:
    """The first level of the chain with that level name (e.g. `estate`, `grid`)."""
    return next((entry for entry in chain if entry["level"] == name), None)


def estate_of(chain: Sequence[Mapping]) -> Mapping | None:
    return level(chain, "estate") or level(chain, "alley")

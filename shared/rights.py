"""Rights by role: which roles may call which RPC of a service, and on what condition.

Each service declares one table, RPC → {role group: rule}; the `rpc` entrypoint checks it
before anything else runs (`shared.rpc`), so a role the table does not name for an RPC is
refused without reading its input or touching the database. A rule is `ANY` (inside the
caller's jurisdiction, which the service checks against the target) or the name of a
condition the service checks on the target itself (the assignee's side of a case, say). The
same table renders the table in the service's README, so the documentation is the code.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from shared.errors import Forbidden

ANY = "any"
#: The role groups every service speaks of; a group's roles share a column of the table.
GROUPS: dict[str, tuple[str, ...]] = {
    "root": ("system", "admin"),
    "staff": ("secretary", "duty_officer", "grid_worker"),
    "leaders": ("grid_leader", "zone_leader", "group_leader", "building_leader", "unit_leader", "alley_steward"),
    "handlers": ("property_company", "owners_committee", "department", "support_team"),
    "residents": ("resident", "volunteer"),  # a volunteer: a resident serving in a support team
}
ROLES: tuple[str, ...] = tuple(role for roles in GROUPS.values() for role in roles)
GROUP_OF: dict[str, str] = {role: group for group, roles in GROUPS.items() for role in roles}


@dataclass(frozen=True)
class Rights:
    """One service's table: `rules[rpc][group]` is `ANY` or a condition's name; a group
    missing from an RPC's rules may not call it."""

    service: str
    rules: Mapping[str, Mapping[str, str]]

    def __post_init__(self):
        for rpc, by_group in self.rules.items():
            unknown = set(by_group) - set(GROUPS)
            if unknown:
                raise ValueError(f"{self.service}.{rpc}: unknown role groups {sorted(unknown)}")

    def rule(self, rpc: str, role: str) -> str | None:
        """The rule for `role` calling `rpc`, None when it may not call it at all."""
        return self.rules.get(rpc, {}).get(GROUP_OF.get(role, ""))

    def require(self, rpc: str, actor) -> str:
        """The rule the actor calls `rpc` under, or `Forbidden` naming the role."""
        found = self.rule(rpc, actor.role)
        if found is None:
            raise Forbidden(f"{actor.who} ({actor.role}) may not call {self.service}.{rpc}",
                            [{"field": "role", "reason": f"{actor.role} may not call {rpc}"}])
        return found

    def markdown(self) -> str:
        """The table as the service's README shows it: one row per RPC, one column per group."""
        head = "| RPC | " + " | ".join(GROUPS) + " |"
        rows = [head, "|---" * (len(GROUPS) + 1) + "|"]
        for rpc in sorted(self.rules):
            cells = [_cell(self.rules[rpc].get(group)) for group in GROUPS]
            rows.append(f"| `{rpc}` | " + " | ".join(cells) + " |")
        return "\n".join(rows)


def _cell(rule: str | None) -> str:
    if rule is None:
        return "–"
    return "✓" if rule == ANY else rule


def by_groups(**groups: str) -> dict[str, str]:
    """`by_groups(root=ANY, staff=ANY)`: one RPC's rules, readable in the table's source."""
    return dict(groups)


EVERYONE = by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=ANY, residents=ANY)
OFFICIALS = by_groups(root=ANY, staff=ANY, leaders=ANY)
STAFF = by_groups(root=ANY, staff=ANY)
ROOT = by_groups(root=ANY)

"""The jurisdiction tree's rules: which level may sit under which, lineage, moves.

区 district → 街道 street → 社区 community → 网格 grid → 片区 zone → 小区 estate | 巷 alley
→ 楼栋 building → 单元 unit → 户 household. Below a community only the levels that
community configured are allowed.
"""

import unicodedata
from collections.abc import Mapping, Sequence

from services.rosters.exceptions import LevelNotAllowed, MoveWouldCycle
from shared.errors import field_error

LEVEL_RANK: dict[str, int] = {
    "district": 0, "street": 1, "community": 2, "grid": 3, "zone": 4,
    "estate": 5, "alley": 5, "building": 6, "unit": 7, "household": 8,
}
DEFAULT_COMMUNITY_LEVELS = ["grid", "zone", "estate", "alley", "building", "unit", "household"]
#: Role → the levels a holder of that role is appointed to.
DEFAULT_ROLES: dict[str, list[str]] = {
    "secretary": ["community"],
    "duty_officer": ["community"],
    "grid_leader": ["grid"],
    "grid_worker": ["grid"],
    "zone_leader": ["zone"],
    "group_leader": ["estate", "alley"],
    "alley_steward": ["alley", "building"],
    "building_leader": ["building"],
    "unit_leader": ["unit"],
}


def default_roles_for(levels: Sequence[str]) -> dict[str, list[str]]:
    """The default roles, each kept to the levels this community uses."""
    allowed = set(levels) | {"community"}
    roles = {role: [lv for lv in role_levels if lv in allowed] for role, role_levels in DEFAULT_ROLES.items()}
    return {role: role_levels for role, role_levels in roles.items() if role_levels}


def check_community_config(levels: Sequence[str], roles: Mapping[str, Sequence[str]]) -> None:
    unknown = [level for level in levels if LEVEL_RANK.get(level, -1) <= LEVEL_RANK["community"]]
    if unknown:
        raise field_error("levels", f"not levels below a community: {', '.join(unknown)}")
    allowed = set(levels) | {"community"}
    for role, role_levels in roles.items():
        stray = [level for level in role_levels if level not in allowed]
        if stray:
            raise field_error(f"roles.{role}", f"levels not configured for this community: {', '.join(stray)}")


def check_child_level(parent: Mapping | None, level: str, community: Mapping | None) -> None:
    """Raise `LevelNotAllowed` unless a `level` node may be created under `parent`."""
    if parent is None:
        if level != "district":
            raise LevelNotAllowed("only a district can be a root", [{"field": "parent_id", "reason": "required"}])
        return
    if LEVEL_RANK[level] <= LEVEL_RANK[parent["level"]]:
        raise LevelNotAllowed(
            f"a {level} cannot sit under a {parent['level']}",
            [{"field": "level", "reason": f"must be below {parent['level']}"}],
        )
    if community is not None and level not in community["config"]["levels"]:
        raise LevelNotAllowed(
            f"{community['name']} does not use the level {level}",
            [{"field": "level", "reason": f"not configured for community {community['_id']}"}],
        )


def lineage(unit: Mapping) -> list[str]:
    """Ancestor ids from the root, then the unit's own id."""
    return [*unit["ancestors"], unit["_id"]]


def community_of(unit: Mapping, parent: Mapping | None) -> str | None:
    """The id of the community a new node under `parent` belongs to (None above communities)."""
    if unit["level"] == "community":
        return unit["_id"]
    return parent.get("community_id") if parent else None


def check_move(unit: Mapping, new_parent: Mapping) -> None:
    if unit["_id"] in lineage(new_parent):
        raise MoveWouldCycle(
            f"moving {unit['name']} under {new_parent['name']} would make a cycle",
            [{"field": "new_parent_id", "reason": "is the unit itself or one of its descendants"}],
        )
    if LEVEL_RANK[unit["level"]] <= LEVEL_RANK[new_parent["level"]]:
        raise LevelNotAllowed(
            f"a {unit['level']} cannot sit under a {new_parent['level']}",
            [{"field": "new_parent_id", "reason": f"a {new_parent['level']} is not above a {unit['level']}"}],
        )


def name_key(name: str) -> str:
    """What two siblings may not share: a name compared after NFKC (全角 "２栋" is "2栋"),
    ignoring case and spaces around or repeated inside it."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def sibling_key(parent_id: str | None, name: str) -> str:
    """The one key of a name among the children of `parent_id` (None for the districts)."""
    return f"{parent_id or ''}:{name_key(name)}"


def rebased(descendant_ancestors: Sequence[str], moved_id: str, moved_lineage: Sequence[str]) -> list[str]:
    """A descendant's ancestors after the node `moved_id` now has `moved_lineage`."""
    below = list(descendant_ancestors)[list(descendant_ancestors).index(moved_id) + 1:]
    return [*moved_lineage, *below]

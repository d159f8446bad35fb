"""Where a roster row belongs: the place its full path names (社区 / 网格 / 片区 / 小区 or 巷 /
楼栋 / 单元, the levels its community uses), never its estate, building and unit alone, since
estate names repeat across the grids of a street; and whether its role may be held there.

Plain Python over unit documents: `PlaceIndex` knows the units below an import's node by the
chain of (level, name) from their community down; `place_row` finds a row's place.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.rosters.labels import ROLES as ROLE_LABELS
from shared.terms_zh import LEVELS

PATH_LEVELS = ("grid", "zone", "estate", "alley", "building", "unit")
LEVEL_LABELS = {level: LEVELS[level] for level in ("community", *PATH_LEVELS)}
Key = tuple[tuple[str, str], ...]


def shown(key: Key) -> str:
    return "/".join(name for _, name in key)


class PlaceIndex:
    """The active units below an import's node (a street or a community), by their key."""

    def __init__(self, node: Mapping, descendants: Iterable[Mapping]):
        self.node = node
        units = [node, *descendants]
        by_id = {u["_id"]: u for u in units}
        self.places: dict[Key, Mapping] = {}
        for unit in (u for u in units if u["level"] in LEVEL_LABELS):
            chain = [by_id[a] for a in unit["ancestors"] if a in by_id] + [unit]
            chain = [u for u in chain if u["level"] in LEVEL_LABELS]
            if chain and chain[0]["level"] == "community" and not any(u.get("retired") for u in chain):
                self.places[tuple((u["level"], u["name"]) for u in chain)] = unit

    def get(self, key: Key) -> Mapping | None:
        return self.places.get(key)

    def add(self, key: Key, unit: Mapping) -> None:
        self.places[key] = unit


@dataclass
class Placement:
    """A row's place: its key, the deepest level it names, and the keys still to be made."""

    key: Key
    level: str
    community: Mapping | None = None
    missing: list[Key] = field(default_factory=list)


def place_row(index: PlaceIndex, path: Mapping[str, str], role: str | None,
              create: bool) -> tuple[Placement | None, list[tuple[str, str]]]:
    """The row's placement and its problems (field, reason). Without `create`, a place that
    does not exist is a problem naming its first missing level."""
    community, problems = _community(index.node, index, path)
    if community is None:
        return None, problems
    given = [level for level in PATH_LEVELS if path.get(level)]
    used = community["config"]["levels"]
    problems += [(lv, f"{community['name']} does not use the level {LEVEL_LABELS[lv]}")
                 for lv in given if lv not in used]
    if "estate" in given and "alley" in given:
        problems.append(("alley", "a row names a 小区 or a 巷, not both"))
    level = given[-1] if given else "community"
    problems += _role_problems(community, role, level)
    key = (("community", community["name"]), *((lv, path[lv]) for lv in given))
    placement = Placement(key, level, community, _missing(index, key))
    if placement.missing and not create and not problems:
        first = placement.missing[0]
        problems.append((first[-1][0], f"no such {LEVEL_LABELS[first[-1][0]]} in {shown(first[:-1])}: {first[-1][1]}"))
    return placement, problems


def _community(node: Mapping, index: PlaceIndex, path: Mapping[str, str]) -> tuple[Mapping | None, list]:
    name = path.get("community")
    if node["level"] == "community":
        if name and name != node["name"]:
            return None, [("community", f"not {node['name']}, the community this import is for: {name}")]
        return node, []
    if not name:
        return None, [("community", "required: the row names its 社区")]
    community = index.get((("community", name),))
    if community is None:
        return None, [("community", f"no such 社区 in {node['name']}: {name}")]
    return community, []


def _role_problems(community: Mapping, role: str | None, level: str) -> list[tuple[str, str]]:
    if role is None:
        return []
    roles = community["config"]["roles"]
    label = ROLE_LABELS.get(role, role)
    if role not in roles:
        return [("role", f"{community['name']} has no {label}")]
    if level not in roles[role]:
        where = "、".join(LEVEL_LABELS.get(lv, lv) for lv in roles[role])
        return [("role", f"a {label} is appointed at a {where}; this row names a {LEVEL_LABELS[level]}")]
    return []


def _missing(index: PlaceIndex, key: Key) -> list[Key]:
    """The keys from the first that does not exist down to the row's own."""
    for depth in range(2, len(key) + 1):
        if index.get(key[:depth]) is None:
            return [key[:d] for d in range(depth, len(key) + 1)]
    return []

"""A tree of new places as `create_units` receives it, checked whole before any is created:
its size, each level under its parent's, the levels its communities use, no two siblings of
one name. Plain Python over the parent's and community's documents."""

from collections.abc import Mapping, Sequence

from services.rosters import tree
from shared.errors import LinliError, field_error

MAX_NODES = 2000  # places one call may create
MAX_DEPTH = len(tree.LEVEL_RANK)  # one level of the tree per nesting, at most


def oversized(units: object) -> str | None:
    """Why a tree of new places is too big to take, or None; read before the tree is parsed,
    so that no nesting can exhaust the parser (input of another shape is the schema's to refuse)."""
    if not isinstance(units, list):
        return None
    count, stack = 0, [(units, 1)]
    while stack:
        nodes, depth = stack.pop()
        if nodes and depth > MAX_DEPTH:
            return f"nests deeper than {MAX_DEPTH} levels"
        count += len(nodes)
        if count > MAX_NODES:
            return f"holds more than {MAX_NODES} places"
        stack.extend((node["children"], depth + 1) for node in nodes
                     if isinstance(node, dict) and isinstance(node.get("children"), list))
    return None


def check_plan(parent: Mapping | None, community: Mapping | None, units: Sequence[Mapping],
               path: str = "units") -> None:
    """Raise the error `create_unit` would raise for the first place that cannot be created,
    naming it by its position (`units.0.children.2.level`), before anything is written."""
    seen: set[str] = set()
    for index, node in enumerate(units):
        here = f"{path}.{index}"
        if node["name"] in seen:
            raise field_error(f"{here}.name", f"repeats the name of a place beside it: {node['name']}")
        seen.add(node["name"])
        own_community = _checked(parent, node, community, here)
        sketch = {"_id": here, "name": node["name"], "level": node["level"]}
        check_plan(sketch, own_community, node.get("children") or [], f"{here}.children")


def _checked(parent: Mapping | None, node: Mapping, community: Mapping | None, here: str) -> Mapping | None:
    """Check one place under its parent; the community the places below it belong to."""
    try:
        tree.check_child_level(parent, node["level"], community)
        if node["level"] != "community":
            return community
        config = node.get("config") or {}
        levels = config.get("levels") or tree.DEFAULT_COMMUNITY_LEVELS
        tree.check_community_config(levels, config.get("roles") or tree.default_roles_for(levels))
        return {"_id": here, "name": node["name"], "config": {"levels": levels}}
    except LinliError as error:
        raise type(error)(error.message, [{"field": f"{here}.{d['field']}", "reason": d["reason"]}
                                          for d in error.details]) from None

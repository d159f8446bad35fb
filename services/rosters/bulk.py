"""`create_units`: many places in one call, a tree under one parent, each created through
`commands.create_unit` (the same checks, the same `unit_created` event) after the whole tree
was checked. A place whose name its parent already has is kept as it is, so a repeat, or a
call that failed part way and is sent again, creates nothing twice."""

from services.rosters import commands, plans, tree
from services.rosters.exceptions import Conflict
from services.rosters.repository import RostersStore
from shared.actor import Actor


def create_units(store: RostersStore, actor: Actor, data: dict) -> dict:
    """`{created: {level: n}, existing: {level: n}, units: [{unit_id, path, level, created}]}`,
    the places in the order given, each parent before its children."""
    parent = store.units.get(data["parent_id"], "parent_id") if data.get("parent_id") else None
    actor.require(tree.lineage(parent) if parent else [])
    plans.check_plan(parent, store.units.community_of(parent) if parent else None, data["units"])
    report: dict = {"created": {}, "existing": {}, "units": []}
    _create_below(store, actor, parent, data["units"], "units", report)
    return report


def _create_below(store: RostersStore, actor: Actor, parent: dict | None, nodes: list[dict], path: str,
                  report: dict) -> None:
    for index, node in enumerate(nodes):
        unit, created = _place(store, actor, parent, node, f"{path}.{index}")
        tally = report["created" if created else "existing"]
        tally[unit["level"]] = tally.get(unit["level"], 0) + 1
        report["units"].append({"unit_id": unit["_id"], "path": unit["path"], "level": unit["level"],
                                "created": created})
        _create_below(store, actor, unit, node["children"], f"{path}.{index}.children", report)


def _place(store: RostersStore, actor: Actor, parent: dict | None, node: dict, here: str) -> tuple[dict, bool]:
    """(the place, whether this call created it). Its id derives from the parent and the name,
    so two of these calls at once meet on one place."""
    parent_id = parent["_id"] if parent else None
    existing = store.units.child_named(parent_id, node["name"])
    if existing is not None:
        if existing["level"] != node["level"]:
            raise Conflict(f"{node['name']} exists here as a {existing['level']}",
                           [{"field": f"{here}.level", "reason": f"the place of that name is a {existing['level']}"}])
        return existing, False
    request = {"parent_id": parent_id, "name": node["name"], "level": node["level"], "facts": node.get("facts"),
               "config": node.get("config"), "request_id": f"create_units|{parent_id or ''}|{node['name']}"}
    return commands.create_unit(store, actor, request), True

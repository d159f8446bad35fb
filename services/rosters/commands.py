"""Rosters' commands on the tree and the duty rota, one function per verb (people and
appointments: `appointing`).

Each takes the store, the acting `Actor` and validated input, and returns the stored result.
"""

from pymongo.errors import DuplicateKeyError

from services.rosters import tree
from services.rosters.announcements import unit_changed
from services.rosters.appointing import settle_leaders
from services.rosters.exceptions import UnitStillHasUnits
from services.rosters.repository import RostersStore
from shared.actor import Actor
from shared.clock import utcnow
from shared.errors import field_error
from shared.events import envelope
from shared.ids import derived_id, new_id


def create_unit(store: RostersStore, actor: Actor, data: dict, unit_id: str | None = None) -> dict:
    """A new unit under its parent, named unlike its active siblings; with a `request_id`, its
    id derives from the request, so a repeat finds the unit the first call made (as it does
    with an id given, as imports do)."""
    derived = data.get("request_id") or unit_id
    unit_id = unit_id or (derived_id("unit", actor.key, data["request_id"]) if derived else new_id("unit"))
    if derived and (made := store.units.find(unit_id)) is not None:
        return made
    parent = store.units.get(data["parent_id"], "parent_id") if data.get("parent_id") else None
    actor.require(tree.lineage(parent) if parent else [])
    if parent and parent.get("retired"):
        raise field_error("parent_id", "the unit is retired")
    community = store.units.community_of(parent) if parent else None
    tree.check_child_level(parent, data["level"], community)
    unit = {
        "_id": unit_id,
        "name": data["name"],
        "level": data["level"],
        "parent_id": parent["_id"] if parent else None,
        "ancestors": tree.lineage(parent) if parent else [],
        "path": [*(parent["path"] if parent else []), data["name"]],
        "facts": data.get("facts") or {},
        "retired": False,
        "leaders": [],
        "created_at": utcnow(),
    }
    if data["level"] == "community":
        config = data.get("config") or {}
        levels = config.get("levels") or tree.DEFAULT_COMMUNITY_LEVELS
        config = {"levels": levels, "roles": config.get("roles") or tree.default_roles_for(levels)}
        tree.check_community_config(config["levels"], config["roles"])
        unit["config"] = config
    unit["community_id"] = tree.community_of(unit, parent)
    event = envelope("unit_created", {k: unit[k] for k in ("name", "level", "parent_id", "community_id")}
                     | {"unit_id": unit["_id"]}, actor.as_dict())
    store.sibling_names.claim(unit["parent_id"], unit["name"], unit_id)
    try:
        return store.units.insert(unit, [event])
    except DuplicateKeyError:  # a twin of the request made it first
        return store.units.get(unit_id)
    except Exception:
        store.sibling_names.release(unit["parent_id"], unit["name"], unit_id)
        raise


def rename_unit(store: RostersStore, actor: Actor, data: dict) -> dict:
    unit = store.units.get(data["unit_id"])
    actor.require(tree.lineage(unit))
    store.sibling_names.take(unit, unit["parent_id"], data["name"])
    depth = len(unit["ancestors"])
    for child in store.units.descendants(unit["_id"]):
        store.units.update(child["_id"], {"$set": {f"path.{depth}": data["name"]}})
    path = [*unit["path"][:-1], data["name"]]
    store.units.update(unit["_id"], {"$set": {"name": data["name"], "path": path}},
                       [unit_changed(unit, "renamed", actor.as_dict(), subtree=True)])
    store.sibling_names.leave(unit, unit["parent_id"], data["name"])
    return store.units.get(unit["_id"])


def move_unit(store: RostersStore, actor: Actor, data: dict) -> dict:
    unit = store.units.get(data["unit_id"])
    new_parent = store.units.get(data["new_parent_id"], "new_parent_id")
    actor.require(tree.lineage(unit))
    actor.require(tree.lineage(new_parent))
    tree.check_move(unit, new_parent)
    if unit.get("community_id") != new_parent.get("community_id") and unit["level"] != "community":
        community = store.units.community_of(new_parent)
        tree.check_child_level(new_parent, unit["level"], community)
    store.sibling_names.take(unit, new_parent["_id"], unit["name"])
    store.units.update(unit["_id"], {"$set": {
        "parent_id": new_parent["_id"],
        "ancestors": tree.lineage(new_parent),
        "path": [*new_parent["path"], unit["name"]],
        "community_id": unit["_id"] if unit["level"] == "community" else new_parent.get("community_id"),
        "rebase_pending": True,
    }})
    moved = rebase_descendants(store, unit["_id"], actor.as_dict())
    store.sibling_names.leave(unit, new_parent["_id"], unit["name"])
    return moved


def rebase_descendants(store: RostersStore, unit_id: str, actor: dict) -> dict:
    """Bring every descendant's ancestors, path and community in line with a moved unit, then
    announce the move. Idempotent, so an interrupted move is finished by running it again."""
    unit = store.units.get(unit_id)
    moved_lineage = tree.lineage(unit)
    for child in store.units.descendants(unit_id):
        ancestors = tree.rebased(child["ancestors"], unit_id, moved_lineage)
        below = child["path"][child["ancestors"].index(unit_id) + 1:]
        change = {"ancestors": ancestors, "path": [*unit["path"], *below]}
        if child.get("community_id") != unit.get("community_id") and child["level"] != "community":
            change["community_id"] = unit.get("community_id")
        store.units.update(child["_id"], {"$set": change})
    store.units.update(unit_id, {"$unset": {"rebase_pending": ""}},
                       [unit_changed(unit, "moved", actor, subtree=True)])
    return store.units.get(unit_id)


def finish_interrupted_work(store: RostersStore) -> None:
    """Run at start-up: complete what a crashed process left half done, moves with
    descendants not rebased and appointment steps with the unit's leaders not yet changed."""
    system = Actor("rosters", "system").as_dict()
    for unit in store.units.with_pending_rebase():
        rebase_descendants(store, unit["_id"], system)
    for appointment in store.appointments.with_leaders_pending():
        settle_leaders(store, appointment["_id"], system)


def retire_unit(store: RostersStore, actor: Actor, data: dict) -> dict:
    unit = store.units.get(data["unit_id"])
    actor.require(tree.lineage(unit))
    if not unit.get("retired") and store.units.children(unit["_id"], False, 1, 0):
        raise UnitStillHasUnits(f"{unit['name']} has active units below it",
                                [{"field": "unit_id", "reason": "has active units below it: retire them first"}])
    store.units.update(unit["_id"], {"$set": {"retired": True, "retired_reason": data["reason"]}},
                       [unit_changed(unit, "retired", actor.as_dict())])
    store.sibling_names.release(unit["parent_id"], unit["name"], unit["_id"])  # a retired unit holds no name
    store.journal.settle()  # announced before the answer, so a report sent after it is refused
    return store.units.get(unit["_id"])


def set_estate_facts(store: RostersStore, actor: Actor, data: dict) -> dict:
    data = {k: v for k, v in data.items() if k != "request_id"}
    unit = store.units.get(data.pop("unit_id"))
    actor.require(tree.lineage(unit))
    if unit["level"] not in ("estate", "alley"):
        raise field_error("unit_id", f"is a {unit['level']}, estate facts belong to an estate or alley")
    store.units.update(unit["_id"], {"$set": {"facts": data}}, [unit_changed(unit, "facts_set", actor.as_dict())])
    return store.units.get(unit["_id"])


def set_duty(store: RostersStore, actor: Actor, data: dict) -> int:
    """Put people of the community (homed or appointed in it) on its daily duty rota (社区值班);
    returns days set. Anyone else is refused as unknown, so no one elsewhere is shown on duty."""
    community = store.units.get(data["community_id"], "community_id")
    actor.require(tree.lineage(community))
    if community["level"] != "community":
        raise field_error("community_id", f"is a {community['level']}, not a community")
    people = store.people.get_many(e["person_id"] for e in data["entries"])
    missing = [e["person_id"] for e in data["entries"]
               if community["_id"] not in (people.get(e["person_id"]) or {}).get("places", ())]
    if missing:
        raise field_error("entries.person_id", f"unknown people: {', '.join(missing)}")
    for entry in data["entries"]:
        store.duty.set(community["_id"], entry["date"].isoformat(), {"person_id": entry["person_id"]})
    return len(data["entries"])

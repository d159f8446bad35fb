"""Rosters' commands: change the tree and the appointments, one function per verb.

Each takes the store, the acting `Actor` and validated input, and returns the stored result.
"""

from datetime import date

from services.rosters import appointments as flow
from services.rosters import tree
from services.rosters.repository import RostersStore
from shared.actor import Actor
from shared.clock import to_iso, utcnow
from shared.errors import field_error
from shared.events import envelope
from shared.ids import new_id


def community_for(store: RostersStore, unit: dict) -> dict | None:
    return store.units.get(unit["community_id"]) if unit.get("community_id") else None


def create_unit(store: RostersStore, actor: Actor, data: dict) -> dict:
    parent = store.units.get(data["parent_id"], "parent_id") if data.get("parent_id") else None
    actor.require(tree.lineage(parent) if parent else [])
    community = community_for(store, parent) if parent else None
    tree.check_child_level(parent, data["level"], community)
    unit = {
        "_id": new_id("unit"),
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
    return store.units.insert(unit, [event])


def unit_changed(unit: dict, change: str, actor: dict, subtree: bool = False) -> dict:
    """The event that makes every rosters instance forget its cached copy of the unit
    (with `subtree`, of the units below it too); written with the change's last write."""
    payload = {"unit_id": unit["_id"], "community_id": unit.get("community_id"), "change": change,
               "subtree": subtree}
    return envelope("unit_changed", payload, actor)


def rename_unit(store: RostersStore, actor: Actor, data: dict) -> dict:
    unit = store.units.get(data["unit_id"])
    actor.require(tree.lineage(unit))
    depth = len(unit["ancestors"])
    for child in store.units.descendants(unit["_id"]):
        store.units.update(child["_id"], {"$set": {f"path.{depth}": data["name"]}})
    path = [*unit["path"][:-1], data["name"]]
    store.units.update(unit["_id"], {"$set": {"name": data["name"], "path": path}},
                       [unit_changed(unit, "renamed", actor.as_dict(), subtree=True)])
    return store.units.get(unit["_id"])


def move_unit(store: RostersStore, actor: Actor, data: dict) -> dict:
    unit = store.units.get(data["unit_id"])
    new_parent = store.units.get(data["new_parent_id"], "new_parent_id")
    actor.require(tree.lineage(unit))
    actor.require(tree.lineage(new_parent))
    tree.check_move(unit, new_parent)
    if unit.get("community_id") != new_parent.get("community_id") and unit["level"] != "community":
        community = community_for(store, new_parent)
        tree.check_child_level(new_parent, unit["level"], community)
    store.units.update(unit["_id"], {"$set": {
        "parent_id": new_parent["_id"],
        "ancestors": tree.lineage(new_parent),
        "path": [*new_parent["path"], unit["name"]],
        "community_id": unit["_id"] if unit["level"] == "community" else new_parent.get("community_id"),
        "rebase_pending": True,
    }})
    return rebase_descendants(store, unit["_id"], actor.as_dict())


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


def finish_interrupted_moves(store: RostersStore) -> None:
    """Run at start-up: complete moves a crashed process left with descendants not rebased."""
    for unit in store.units.with_pending_rebase():
        rebase_descendants(store, unit["_id"], Actor("rosters", "system").as_dict())


def retire_unit(store: RostersStore, actor: Actor, data: dict) -> dict:
    unit = store.units.get(data["unit_id"])
    actor.require(tree.lineage(unit))
    store.units.update(unit["_id"], {"$set": {"retired": True, "retired_reason": data["reason"]}},
                       [unit_changed(unit, "retired", actor.as_dict())])
    return store.units.get(unit["_id"])


def set_estate_facts(store: RostersStore, actor: Actor, data: dict) -> dict:
    unit = store.units.get(data.pop("unit_id"))
    actor.require(tree.lineage(unit))
    if unit["level"] not in ("estate", "alley"):
        raise field_error("unit_id", f"is a {unit['level']}, estate facts belong to an estate or alley")
    store.units.update(unit["_id"], {"$set": {"facts": data}}, [unit_changed(unit, "facts_set", actor.as_dict())])
    return store.units.get(unit["_id"])


def register_person(store: RostersStore, actor: Actor, data: dict, person_id: str | None = None) -> dict:
    if data.get("home_unit_id"):
        store.units.get(data["home_unit_id"], "home_unit_id")
    person = {"_id": person_id or new_id("person"), **data, "created_at": utcnow()}
    stored, _ = store.people.insert_new(person)
    return stored


def apply(store: RostersStore, actor: Actor, data: dict, appointment_id: str | None = None) -> dict:
    person = store.people.get(data["person_id"], "person_id")
    unit = store.units.get(data["unit_id"])
    actor.require(tree.lineage(unit))
    community = community_for(store, unit)
    if community is None:
        raise field_error("unit_id", "appointments are made inside a community")
    flow.check_role(data["role"], unit, community)
    appointment = {
        "_id": appointment_id or new_id("appt"),
        "person_id": person["_id"], "unit_id": unit["_id"], "community_id": community["_id"],
        "role": data["role"], "status": "applicant",
        "certificate_no": None, "work_id": None, "term_start": None, "term_end": None, "ended_reason": None,
        "history": [{"status": "applicant", "at": to_iso(utcnow()), "by": actor.who}],
    }
    return store.appointments.insert(appointment)


def _advance(store: RostersStore, actor: Actor, appointment: dict, action: str, extra: dict,
             events: list[dict] = ()) -> dict:
    status = flow.next_status(appointment["status"], action)
    step = {"status": status, "at": to_iso(utcnow()), "by": actor.who, **extra.pop("_note", {})}
    store.appointments.update(appointment["_id"], {"$set": {"status": status, **extra}, "$push": {"history": step}},
                              list(events))
    return store.appointments.get(appointment["_id"])


def screen(store: RostersStore, actor: Actor, data: dict) -> dict:
    appointment = store.appointments.get(data["appointment_id"])
    actor.require(tree.lineage(store.units.get(appointment["unit_id"])))
    if data["passed"]:
        return _advance(store, actor, appointment, "screen", {"_note": {"note": data["note"]}})
    return _advance(store, actor, appointment, "reject",
                    {"ended_reason": "screening_failed", "_note": {"note": data["note"]}})


def appoint(store: RostersStore, actor: Actor, data: dict) -> dict:
    appointment = store.appointments.get(data["appointment_id"])
    unit = store.units.get(appointment["unit_id"])
    actor.require(tree.lineage(unit))
    flow.next_status(appointment["status"], "appoint")
    person = store.people.get(appointment["person_id"])
    # The unit learns of its leader first; a crash before the next write is finished by a retry.
    store.units.update(unit["_id"], {"$addToSet": {"leaders": flow.leader_entry(appointment, person)}},
                       [unit_changed(unit, "leaders_changed", actor.as_dict())])
    event = envelope("appointment_started", _appointment_payload(appointment), actor.as_dict())
    return _advance(store, actor, appointment, "appoint", {
        "certificate_no": data["certificate_no"], "work_id": data.get("work_id"),
        "term_start": _day(data["term_start"]), "term_end": _day(data["term_end"]),
    }, [event])


def end_appointment(store: RostersStore, actor: Actor, data: dict) -> dict:
    appointment = store.appointments.get(data["appointment_id"])
    unit = store.units.get(appointment["unit_id"])
    actor.require(tree.lineage(unit))
    entries = [e for e in unit.get("leaders", []) if e["appointment_id"] == appointment["_id"]]
    if appointment["status"] == "ended":  # a retry after a crash: only the unit may lag behind
        if entries:
            _drop_leaders(store, unit, entries, actor)
        return appointment
    flow.next_status(appointment["status"], "end")
    event = envelope("appointment_ended", _appointment_payload(appointment) | {"reason": data["reason"]},
                     actor.as_dict())
    ended = _advance(store, actor, appointment, "end",
                     {"ended_reason": data["reason"], "_note": {"note": data["note"]}},
                     [event] if appointment["status"] == "appointed" else [])
    if entries:
        _drop_leaders(store, unit, entries, actor)
    return ended


def set_duty(store: RostersStore, actor: Actor, data: dict) -> int:
    """Put people on the community's daily duty rota (社区值班); returns days set."""
    community = store.units.get(data["community_id"], "community_id")
    actor.require(tree.lineage(community))
    if community["level"] != "community":
        raise field_error("community_id", f"is a {community['level']}, not a community")
    people = store.people.get_many(e["person_id"] for e in data["entries"])
    missing = [e["person_id"] for e in data["entries"] if e["person_id"] not in people]
    if missing:
        raise field_error("entries.person_id", f"unknown people: {', '.join(missing)}")
    for entry in data["entries"]:
        store.duty.set(community["_id"], entry["date"].isoformat(), {"person_id": entry["person_id"]})
    return len(data["entries"])


def _drop_leaders(store: RostersStore, unit: dict, entries: list[dict], actor: Actor) -> None:
    store.units.update(unit["_id"], {"$pullAll": {"leaders": entries}},
                       [unit_changed(unit, "leaders_changed", actor.as_dict())])


def _appointment_payload(appointment: dict) -> dict:
    return {k: appointment[k] for k in ("person_id", "unit_id", "community_id", "role")} | {
        "appointment_id": appointment["_id"]}


def _day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value

"""Rosters' commands: change the tree and the appointments, one function per verb.

Each takes the store, the acting `Actor` and validated input, and returns the stored result.
"""

import hashlib
from collections.abc import Callable
from datetime import date

from services.rosters import appointments as flow
from services.rosters import tree
from services.rosters.exceptions import Conflict, PhoneTaken
from services.rosters.repository import RostersStore
from shared.actor import Actor
from shared.clock import to_iso, utcnow
from shared.errors import field_error
from shared.events import envelope
from shared.ids import new_id
from shared.privacy import mask_phone


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


def register_person(store: RostersStore, actor: Actor, data: dict) -> dict:
    """One person per phone: registering a known phone again returns that person when every
    detail given matches, and is a `PhoneTaken` conflict naming `phone` when any differs."""
    person, created = enrol_person(store, data)
    differing = [] if created else [k for k, v in data.items() if person.get(k) != v]
    if differing:
        raise PhoneTaken(f"phone {mask_phone(data['phone'])} is registered with other details",
                         [{"field": "phone", "reason": f"already registered; differing: {', '.join(differing)}",
                           "person_id": person["_id"]}])
    return person


def enrol_person(store: RostersStore, data: dict) -> tuple[dict, bool]:
    """The person with this phone, registered now unless already known (then kept as stored):
    (person, created). The id derives from the phone, so of callers registering one phone at
    once exactly one creates the person."""
    if data.get("home_unit_id"):
        store.units.get(data["home_unit_id"], "home_unit_id")
    return store.people.insert_new({"_id": person_id_for(data["phone"]), **data, "created_at": utcnow()})


def person_id_for(phone: str) -> str:
    return stable_id("person", phone)


def stable_id(prefix: str, *parts: str) -> str:
    """An id derived from `parts`: the same parts always give the same id."""
    return f"{prefix}_{hashlib.sha1('|'.join(parts).encode()).hexdigest()[:20]}"


def apply(store: RostersStore, actor: Actor, data: dict, appointment_id: str | None = None) -> dict:
    """A new applicant; with a derived `appointment_id` (imports) an existing one is returned."""
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
    stored, _ = store.appointments.insert_new(appointment)
    return stored


def screen(store: RostersStore, actor: Actor, data: dict) -> dict:
    appointment = _appointment_in_reach(store, actor, data["appointment_id"])
    if data["passed"]:
        return _advance(store, actor, appointment, "screen", {}, data["note"])
    return _advance(store, actor, appointment, "reject", {"ended_reason": "screening_failed"}, data["note"])


def appoint(store: RostersStore, actor: Actor, data: dict) -> dict:
    """Screened → appointed with `appointment_started`; the winner then adds the unit's leader."""
    appointment = _appointment_in_reach(store, actor, data["appointment_id"])
    started = envelope("appointment_started", _appointment_payload(appointment), actor.as_dict())
    return _advance(store, actor, appointment, "appoint", {
        "certificate_no": data["certificate_no"], "work_id": data.get("work_id"),
        "term_start": _day(data["term_start"]), "term_end": _day(data["term_end"]),
    }, events=lambda current: [started])


def end_appointment(store: RostersStore, actor: Actor, data: dict) -> dict:
    """Any status but ended → ended; from appointed with `appointment_ended`, and the winner
    then drops the unit's leader."""
    appointment = _appointment_in_reach(store, actor, data["appointment_id"])
    ended = envelope("appointment_ended", _appointment_payload(appointment) | {"reason": data["reason"]},
                     actor.as_dict())
    return _advance(store, actor, appointment, "end", {"ended_reason": data["reason"]}, data["note"],
                    events=lambda current: [ended] if current["status"] == "appointed" else [])


def _appointment_in_reach(store: RostersStore, actor: Actor, appointment_id: str) -> dict:
    appointment = store.appointments.get(appointment_id)
    actor.require(tree.lineage(store.units.get(appointment["unit_id"])))
    return appointment


def _advance(store: RostersStore, actor: Actor, appointment: dict, action: str, fields: dict,
             note: str | None = None, events: Callable[[dict], list[dict]] = lambda current: []) -> dict:
    """One step, as a compare-and-set on the status it was decided from. When another caller
    moved the status first, nothing is written and the step is decided again from the new
    status: one that no longer allows it (the same step already taken, say) raises
    `InvalidTransition` naming that status. So of callers racing one step exactly one wins,
    and only the winner's history entry and event are written."""
    for _ in range(len(flow.FLOW)):  # the status only moves forward: a few lost races at most
        status = flow.next_status(appointment["status"], action)
        step = {"status": status, "at": to_iso(utcnow()), "by": actor.who, **({} if note is None else {"note": note})}
        leaders = "appointed" in (status, appointment["status"])
        change = {"status": status, **fields, **({"leaders_pending": True} if leaders else {})}
        if store.appointments.update(appointment["_id"], {"$set": change, "$push": {"history": step}},
                                     events(appointment), when={"status": appointment["status"]}):
            if leaders:
                settle_leaders(store, appointment["_id"], actor.as_dict())
            return {**appointment, **change, "history": [*appointment["history"], step]}
        appointment = store.appointments.get(appointment["_id"])
    raise Conflict(f"appointment {appointment['_id']} kept changing; try again",
                   [{"field": "appointment_id", "reason": "busy"}])


def settle_leaders(store: RostersStore, appointment_id: str, actor: dict) -> None:
    """Bring the unit's leaders in line with the appointment (its entry there exactly while it
    is appointed), then clear the appointment's `leaders_pending`. Run by the caller whose
    step changed whether it is appointed; reads again after each write, so two such steps
    racing leave the unit as the later one wants it."""
    for _ in range(len(flow.FLOW)):
        appointment = store.appointments.get(appointment_id)
        unit = store.units.get(appointment["unit_id"])
        entries = [e for e in unit.get("leaders", []) if e["appointment_id"] == appointment_id]
        if appointment["status"] == "appointed" and not entries:
            person = store.people.get(appointment["person_id"])
            change = {"$addToSet": {"leaders": flow.leader_entry(appointment, person)}}
        elif appointment["status"] != "appointed" and entries:
            change = {"$pullAll": {"leaders": entries}}
        else:
            store.appointments.update(appointment_id, {"$unset": {"leaders_pending": ""}})
            return
        store.units.update(unit["_id"], change, [unit_changed(unit, "leaders_changed", actor)])


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


def _appointment_payload(appointment: dict) -> dict:
    return {k: appointment[k] for k in ("person_id", "unit_id", "community_id", "role")} | {
        "appointment_id": appointment["_id"]}


def _day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value

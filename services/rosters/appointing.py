"""Rosters' commands on people and appointments (applicant → screened → appointed → ended),
each step a compare-and-set on the status it was decided from.

Each takes the store, the acting `Actor` and validated input, and returns the stored result.
"""

from collections.abc import Callable

from services.rosters import appointments as flow
from services.rosters import placekeeping, places, tree
from services.rosters.announcements import appointment_payload, day, unit_changed
from services.rosters.exceptions import Conflict, PhoneTaken
from services.rosters.ids import person_id_for
from services.rosters.repository import RostersStore
from shared.actor import Actor
from shared.clock import to_iso, utcnow
from shared.errors import field_error
from shared.events import envelope
from shared.ids import derived_id, new_id
from shared.privacy import mask_phone
from shared.requests import applied


def register_person(store: RostersStore, actor: Actor, data: dict) -> dict:
    """One person per phone, homed inside the caller's jurisdiction (a caller who is not root
    must name the home). Registering a known phone again returns that person when every detail
    given matches, and is a `PhoneTaken` conflict naming `phone` when any differs; when the
    caller may not see that person, the conflict names nothing of them (not even which details
    differ)."""
    data = {k: v for k, v in data.items() if k != "request_id"}
    if data.get("home_unit_id"):
        actor.require(tree.lineage(store.units.get(data["home_unit_id"], "home_unit_id")))
    elif not places.is_root(actor):
        raise field_error("home_unit_id", "is required: register people where they live, inside your jurisdiction")
    person, created = enrol_person(store, data)
    if not created and not places.sees(actor, person):
        raise PhoneTaken(f"phone {mask_phone(data['phone'])} is already registered",
                         [{"field": "phone", "reason": "already registered"}])
    differing = [] if created else [k for k, v in data.items() if person.get(k) != v]
    if differing:
        raise PhoneTaken(f"phone {mask_phone(data['phone'])} is registered with other details",
                         [{"field": "phone", "reason": f"already registered; differing: {', '.join(differing)}",
                           "person_id": person["_id"]}])
    return person


def enrol_person(store: RostersStore, data: dict) -> tuple[dict, bool]:
    """The person with this phone, registered now unless already known (then kept as stored):
    (person, created). The id derives from the phone, so of callers registering one phone at
    once exactly one creates the person. Its places start at its home (`services.rosters.places`)."""
    home = store.units.get(data["home_unit_id"], "home_unit_id") if data.get("home_unit_id") else None
    person_id = person_id_for(store.person_key, data["phone"])
    return store.people.insert_new({"_id": person_id, **data, "places": places.places_of([home] if home else []),
                                    "created_at": utcnow()})


def apply(store: RostersStore, actor: Actor, data: dict, appointment_id: str | None = None) -> dict:
    """A new applicant; with a derived `appointment_id` (imports, or one derived here from a
    `request_id`) an existing one is returned."""
    if appointment_id is None and data.get("request_id"):
        appointment_id = derived_id("appt", actor.key, data["request_id"])
    person = store.people.get(data["person_id"], "person_id")
    unit = store.units.get(data["unit_id"])
    actor.require(tree.lineage(unit))
    community = store.units.community_of(unit)
    if community is None:
        raise field_error("unit_id", "appointments are made inside a community")
    flow.check_role(data["role"], unit, community)
    appointment = {
        "_id": appointment_id or new_id("appt"),
        "person_id": person["_id"], "unit_id": unit["_id"], "community_id": community["_id"],
        "role": data["role"], "status": "applicant",
        "certificate_no": None, "work_id": None, "term_start": None, "term_end": None, "ended_reason": None,
        "history": [{"status": "applicant", "at": to_iso(utcnow()), "by": actor.who}],
        "lineage": tree.lineage(unit), "places_pending": True,
    }
    stored, _ = store.appointments.insert_new(appointment)
    if stored.get("places_pending"):
        placekeeping.note_appointment(store, stored)
    return {k: v for k, v in stored.items() if k != "places_pending"}


def screen(store: RostersStore, actor: Actor, data: dict) -> dict:
    appointment = _appointment_in_reach(store, actor, data["appointment_id"])
    if data["passed"]:
        return _advance(store, actor, appointment, "screen", {}, data["note"], data.get("request_id"))
    return _advance(store, actor, appointment, "reject", {"ended_reason": "screening_failed"}, data["note"],
                    data.get("request_id"))


def appoint(store: RostersStore, actor: Actor, data: dict) -> dict:
    """Screened → appointed with `appointment_started`; the winner then adds the unit's leader."""
    appointment = _appointment_in_reach(store, actor, data["appointment_id"])
    started = envelope("appointment_started", appointment_payload(appointment), actor.as_dict())
    return _advance(store, actor, appointment, "appoint", {
        "certificate_no": data["certificate_no"], "work_id": data.get("work_id"),
        "term_start": day(data["term_start"]), "term_end": day(data["term_end"]),
    }, request_id=data.get("request_id"), events=lambda current: [started])


def end_appointment(store: RostersStore, actor: Actor, data: dict) -> dict:
    """Any status but ended → ended; from appointed with `appointment_ended`, and the winner
    then drops the unit's leader."""
    appointment = _appointment_in_reach(store, actor, data["appointment_id"])
    ended = envelope("appointment_ended", appointment_payload(appointment) | {"reason": data["reason"]},
                     actor.as_dict())
    return _advance(store, actor, appointment, "end", {"ended_reason": data["reason"]}, data["note"],
                    data.get("request_id"), events=lambda current: [ended] if current["status"] == "appointed" else [])


def _appointment_in_reach(store: RostersStore, actor: Actor, appointment_id: str) -> dict:
    appointment = store.appointments.get(appointment_id)
    actor.require(tree.lineage(store.units.get(appointment["unit_id"])))
    return appointment


def _advance(store: RostersStore, actor: Actor, appointment: dict, action: str, fields: dict,
             note: str | None = None, request_id: str | None = None,
             events: Callable[[dict], list[dict]] = lambda current: []) -> dict:
    """One step, as a compare-and-set on the status it was decided from. When another caller
    moved the status first, nothing is written and the step is decided again from the new
    status: one that no longer allows it (the same step already taken, say) raises
    `InvalidTransition` naming that status. So of callers racing one step exactly one wins,
    and only the winner's history entry and event are written. The history entry keeps the
    `request_id`: a repeat of a request already taken gets the appointment as it is."""
    for _ in range(len(flow.FLOW)):  # the status only moves forward: a few lost races at most
        if applied(appointment["history"], request_id, actor.who):
            return appointment
        status = flow.next_status(appointment["status"], action)
        step = {"status": status, "at": to_iso(utcnow()), "by": actor.who, **({} if note is None else {"note": note}),
                **({"request_id": request_id} if request_id else {})}
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

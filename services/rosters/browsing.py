"""Browsing the roster as one caller sees it: a unit's children, the appointments under a
node, a person found by phone, and the audit of unmasked reads. Each checks the caller's
jurisdiction before reading anything else."""

from datetime import UTC, date, datetime, time, timedelta

from services.rosters import places, tree
from services.rosters.exceptions import PersonNotFound
from services.rosters.ids import person_id_for
from services.rosters.reports import Reader
from shared.clock import to_iso
from shared.privacy import mask_phone


def children(reader: Reader, data: dict) -> list[dict]:
    """The units right below a unit, by name; retired ones only when asked."""
    reader.actor.require(tree.lineage(reader.store.units.cached(data["unit_id"])))
    found = reader.store.units.children(data["unit_id"], data["include_retired"], data["limit"], data["offset"])
    return [{"unit_id": u["_id"], "name": u["name"], "level": u["level"], "retired": bool(u.get("retired")),
             "leaders": len(u.get("leaders", []))} for u in found]


def appointments(reader: Reader, data: dict) -> list[dict]:
    """Appointments at the node (and below it, unless `include_descendants` is false), each
    with the person's name and phone (masked unless the caller's role needs the number)."""
    reader.actor.require(tree.lineage(reader.store.units.get(data["node_id"], "node_id")))
    query: dict = {"lineage": data["node_id"]} if data["include_descendants"] else {"unit_id": data["node_id"]}
    query |= {k: data[k] for k in ("role", "status") if data.get(k)}
    found = reader.store.appointments.under(query, data["limit"], data["offset"])
    people = reader.store.people.get_many(a["person_id"] for a in found)
    units = reader.store.units.get_many(a["unit_id"] for a in found)
    rows = [_appointment_row(a, people.get(a["person_id"], {}), units.get(a["unit_id"], {}), reader.unmasked)
            for a in found]
    reader.audit("appointments", list(dict.fromkeys(a["person_id"] for a in found)))
    return rows


def _appointment_row(appointment: dict, person: dict, unit: dict, unmasked: bool) -> dict:
    phone = person.get("phone")
    return {
        "appointment_id": appointment["_id"], "person_id": appointment["person_id"], "name": person.get("name"),
        "phone": phone if unmasked else mask_phone(phone), "unit_id": appointment["unit_id"],
        "unit_name": unit.get("name"), "path": unit.get("path", []), "role": appointment["role"],
        "status": appointment["status"], "certificate_no": appointment.get("certificate_no"),
        "term_start": appointment.get("term_start"), "term_end": appointment.get("term_end"),
        "ended_reason": appointment.get("ended_reason"),
    }


def find_person(reader: Reader, phone: str) -> dict:
    """The person with this phone, when the caller may see them; otherwise the same
    `PersonNotFound` as for an unknown phone, so nothing tells the two apart."""
    person = reader.store.people.find(person_id_for(reader.store.person_key, phone))
    if person is None or not places.sees(reader.actor, person):
        raise PersonNotFound("no person with this phone here", [{"field": "phone", "reason": "not found"}])
    return reader.person(person, "find_person")


def pii_reads(reader: Reader, data: dict) -> list[dict]:
    """Unmasked reads between two days (UTC, both included), newest first: every read for
    root callers, for the community's staff the reads by callers whose own unit lies inside
    theirs (which roles may ask at all is the rights table's)."""
    within = places.scope(reader.actor)
    query: dict = {"at": {"$gte": _start(data["date_from"]), "$lt": _start(data["date_to"] + timedelta(days=1))}}
    if within is not None:
        query["actor.lineage"] = within
    if data.get("who"):
        query["actor.who"] = data["who"]
    found = reader.store.pii_reads.listed(query, data["limit"], data["offset"])
    return [{"who": r["actor"].get("who"), "role": r["actor"].get("role"), "rpc": r["rpc"],
             "person_ids": r["subjects"], "at": to_iso(r["at"])} for r in found]


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


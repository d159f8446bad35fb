"""Service hours: logged per member and task by the member or the office, verified by the
organiser, reported per member, team and period (and as a workbook)."""

import random
from collections.abc import Mapping
from datetime import date

import eventlet

from services.volunteers import hours, taskflow
from services.volunteers.exceptions import ChangedMeanwhile
from services.volunteers.repository import VolunteersStore
from services.volunteers.rights import OWN_TEAM, RIGHTS, SELF, admit, office_person
from services.volunteers.settings import Settings
from services.volunteers.teams_desk import member_id_for, status_of
from services.volunteers.views import hours_view
from shared.actor import Actor
from shared.errors import Forbidden, field_error
from shared.events import envelope
from shared.ids import derived_id
from shared.rights import ANY

LOGGABLE = frozenset({"in_progress", "completed", "could_not_complete"})
ATTEMPTS = 20


def log_hours(store: VolunteersStore, actor: Actor, data: Mapping, settings: Settings, clock) -> dict:
    task = store.tasks.get(data["task_id"])
    team = store.teams.get(task["team_id"])
    person_id = admit("log_hours", actor, team, person_id=data.get("person_id"), task=task,
                      status_of=status_of(store)) or office_person(data.get("person_id"))
    taskflow.require_state(task, LOGGABLE, "log_hours")
    if person_id not in {c["person_id"] for c in task.get("claimants") or ()}:
        raise field_error("person_id", "held no claim on this task")
    member = store.members.get(member_id_for(team["_id"], person_id), "person_id")
    hours_id = derived_id("hrs", task["_id"], person_id)
    for attempt in range(ATTEMPTS):
        existing = store.hours.find(hours_id)
        if existing is not None and data.get("request_id") and any(
                e.get("request_id") == data["request_id"] for e in existing.get("history") or ()):
            return hours_view(existing)
        now = clock()
        day = (task.get("starts_at") or now).astimezone(settings.zone).date()
        record = hours.logged(existing, task, member, data, taskflow.scheduled_minutes(task), actor.as_dict(), now, day)
        entry = {"action": "log", "at": now, "actor": actor.as_dict(), "actual_minutes": data["actual_minutes"],
                 **({"request_id": data["request_id"]} if data.get("request_id") else {})}
        event = envelope("hours_logged", {"hours_id": hours_id, **_payload(record)}, actor.as_dict())
        try:
            if existing is None:
                written = store.hours.create({"_id": hours_id, **record, "history": [entry]}, [event])
            else:
                store.hours.advance(existing, record, {"history": [entry]}, [event])
                written = {**existing, **record, "history": [*existing["history"], entry]}
        except ChangedMeanwhile:
            eventlet.sleep(random.uniform(0, 0.005 * (attempt + 1)))
            continue
        return hours_view(written)
    raise ChangedMeanwhile(f"hours {hours_id} kept changing", [{"field": "task_id", "reason": "busy"}])


def verify_hours(store: VolunteersStore, actor: Actor, data: Mapping, clock) -> dict:
    record = store.hours.get(data["hours_id"])
    admit("verify_hours", actor, store.teams.get(record["team_id"]))
    if record.get("verification") and data.get("request_id") and any(
            e.get("request_id") == data["request_id"] for e in record.get("history") or ()):
        return hours_view(record)
    now = clock()
    change = hours.verified(record, data["approved"], data.get("note"), actor.as_dict(), now)
    entry = {"action": "verify", "at": now, "actor": actor.as_dict(), "approved": data["approved"],
             **({"request_id": data["request_id"]} if data.get("request_id") else {})}
    store.hours.advance(record, change, {"history": [entry]}, [])
    return hours_view({**record, **change, "history": [*record.get("history", []), entry]})


def records_for(store: VolunteersStore, actor: Actor, data: Mapping, rpc: str) -> list[dict]:
    """The hours records of a team or a person in the period that the caller may see."""
    first, last = data["date_from"].isoformat(), data["date_to"].isoformat()
    if data.get("team_id"):
        team = store.teams.get(data["team_id"])
        admit(rpc, actor, team, person_id=data.get("person_id"), status_of=status_of(store))
        query = {"team_id": team["_id"]}
        if data.get("person_id") or actor.role == "volunteer":
            query["person_id"] = data.get("person_id") or actor.who
        return store.hours.between(query, first, last)
    rule = RIGHTS.require(rpc, actor)
    if rule == SELF and data["person_id"] != actor.who:
        raise Forbidden(f"{actor.who} ({actor.role}) sees only their own hours",
                        [{"field": "person_id", "reason": "a volunteer sees only their own hours"}])
    found = store.hours.between({"person_id": data["person_id"]}, first, last)
    if rule == ANY:
        return [r for r in found if actor.may_act_on(r["lineage"])]
    if rule == OWN_TEAM:
        return [r for r in found if r["team_id"] == actor.who]
    return found


def report(records: list[dict], first: date, last: date) -> dict:
    return hours.report(records, first, last)


def _payload(record: Mapping) -> dict:
    return {k: record[k] for k in ("task_id", "team_id", "person_id", "name", "day", "scheduled_minutes",
                                   "actual_minutes")}

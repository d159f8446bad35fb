"""New cases and the records every step leaves: pure functions over plain documents."""

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo

from services.cases import counting
from services.cases.lifecycle import ACTIVE, Step
from shared.clock import SHANGHAI, plain
from shared.events import envelope
from shared.privacy import mask_phone

WATCHES = "deadline_watches"


def case_id_for(data: Mapping, caller: str, fresh: Callable[[], str]) -> str:
    """A stable id when the report names its origin, so the same report twice is one case: a
    reference in another system (a hotline ticket) or the caller's own request id, each scoped
    to the caller (`Actor.key`), so another caller naming the same one opens its own case and
    never reaches this one; otherwise `fresh()`."""
    if data.get("external_ref"):
        origin = f"{data['channel']}:{caller}:ref:{data['external_ref']}"
    elif data.get("request_id"):
        origin = f"{data['channel']}:{caller}:request:{data['request_id']}"
    else:
        return fresh()
    return f"case_{hashlib.sha256(origin.encode()).hexdigest()[:22]}"


def new_case(case_id: str, data: Mapping, unit: Mapping, scope: list[str], label: str, now: datetime,
             zone: tzinfo = SHANGHAI) -> dict:
    """A case as reported; `received_day` is the day of `now` in `zone` (what statistics count by)."""
    return {
        "_id": case_id, "version": 1, "state": "reported",
        "channel": data["channel"], "external_ref": data.get("external_ref"),
        "reporter": dict(data["reporter"]), "unit_id": unit["unit_id"], "unit_path": list(unit.get("path", [])),
        "community_id": unit["community_id"], "lineage": [*unit["ancestors"], unit["unit_id"]], "scope": scope,
        "category": data["category"], "category_label": label, "urgency": data["urgency"],
        "place": data.get("place", "shared"), "description": data["description"],
        "photos": list(data.get("photos", [])),
        "reported_at": now, "received_day": now.astimezone(zone).date().isoformat(), "reported_by": None,
        "deadlines": {}, "overdue": [], "evaluations": [], "mediations": [], "meetings": [], "counted": [],
        "updated_at": now,
    }


def entry(version: int, command: str, step_from: str | None, step_to: str, actor: Mapping, now: datetime,
          detail: Mapping) -> dict:
    return {"seq": version, "at": now, "actor": dict(actor), "action": command, "from": step_from, "to": step_to,
            "detail": dict(detail)}


def event_payload(case: Mapping, from_state: str | None, detail: Mapping) -> dict:
    """What every case event says; the reporter's phone is masked."""
    reporter = case.get("reporter") or {}
    return {
        "case_id": case["_id"], "version": case["version"], "state": case["state"], "from_state": from_state,
        "category": case["category"], "urgency": case["urgency"], "channel": case["channel"],
        "external_ref": case.get("external_ref"), "unit_id": case["unit_id"], "community_id": case["community_id"],
        "lineage": list(case["lineage"]),
        "reporter": {"name": reporter.get("name"), "phone": mask_phone(reporter.get("phone"))},
        "detail": plain(detail),
    }


def counts(before: Mapping | None, after: Mapping) -> dict:
    """What the step from `before` to `after` adds: `inc` (category → metric → amount) for
    each of `nodes` in each of `periods` (see `counting.expand`)."""
    changes = counting.deltas(before, after)
    if not changes:
        return {}
    return {"nodes": list(after["scope"]), "inc": changes,
            "periods": counting.periods(datetime.fromisoformat(after["received_day"]).date())}


def watch_for(before: Mapping | None, after: Mapping, supervise_every: timedelta) -> list[dict]:
    """The deadline watch after a step, as the journal's follow-up: kept (replaced), dropped,
    or nothing to do."""
    watched_before = before is not None and before["state"] in ACTIVE and bool(before.get("deadlines"))
    deadlines = after.get("deadlines") or {}
    unmet = {k: v for k, v in deadlines.items() if not (k == "response" and after.get("accepted_at"))}
    if after["state"] not in ACTIVE or not unmet:
        return [{"collection": WATCHES, "_id": after["_id"], "delete": True}] if watched_before else []
    overdue = [k for k in after.get("overdue", []) if k in unmet]
    next_check = after["last_supervised_at"] + supervise_every if overdue else min(unmet.values())
    watch = {"case_id": after["_id"], "next_check": next_check, "unmet": sorted(unmet),
             "supervision_level": after.get("supervision_level", 0)}
    return [{"collection": WATCHES, "_id": after["_id"], "replace": watch}]


def journal_step(before: Mapping | None, after: dict, step: Step | None, actor: Mapping, now: datetime,
                 supervise_every: timedelta, request_id: str | None = None) -> dict:
    """The journal step of a command: the write (the new case, or the fields set and its
    timeline entry, kept as `entry`, with the caller's request id so a repeat is recognised),
    events, counts and the deadline watch."""
    command = step.command if step else "report"
    detail = step.detail if step else {"description": after["description"]}
    record = entry(after["version"], command, before["state"] if before else None, after["state"], actor, now, detail)
    if request_id:
        record["request_id"] = request_id
    event_types = step.events if step else ["case_reported"]
    payload = event_payload(after, before["state"] if before else None, detail)
    journal = {
        "collection": "cases", "doc_id": after["_id"], "version": after["version"], "entry": record,
        "events": [envelope(t, payload, dict(actor)) for t in event_types],
        "counts": counts(before, after), "follow": watch_for(before, after, supervise_every),
    }
    if before is None:
        journal["create"] = {**after, "timeline": [record]}
    else:
        journal["update"] = {"$set": {**step.changes, "counted": after["counted"], "updated_at": now},
                             "$push": {"timeline": record}}
    return journal

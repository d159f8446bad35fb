"""Cases' commands: load what a step needs, let the pure rules decide, commit through the
journal. Every function takes its collaborators as parameters."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import eventlet

from services.cases import counting, lifecycle
from services.cases.calendar import DeadlinePolicy
from services.cases.exceptions import CaseChanged
from services.cases.intake import case_id_for, journal_step, new_case
from services.cases.repository import CasesStore
from services.cases.roster import Roster, scope_of
from services.cases.taxonomy import Taxonomy
from shared.actor import Actor
from shared.errors import field_error
from shared.requests import applied

RETRIES = 5


@dataclass(frozen=True)
class Rules:
    """The configured rules a command is decided by."""

    taxonomy: Taxonomy
    policy: DeadlinePolicy
    supervise_every: timedelta


def report(store: CasesStore, roster: Roster, actor: Actor, data: Mapping, rules: Rules, now: datetime) -> dict:
    """Open a case; the same external reference (or request id) twice gives the same case."""
    if not rules.taxonomy.knows(data["category"]):
        raise field_error("category", f"not in the taxonomy: {data['category']}")
    unit = roster.unit(data["unit_id"])
    actor.require([*unit["ancestors"], unit["unit_id"]])
    case_id = case_id_for(data, actor.who, store.journal.new_id)
    if data.get("external_ref") or data.get("request_id"):
        existing = store.cases.find(case_id)
        if existing is not None:
            actor.require(existing["lineage"])
            return existing
    case = new_case(case_id, data, unit, scope_of(unit), rules.taxonomy.label(data["category"]), now)
    case["counted"] = counting.counted_after(None, case)
    step = journal_step(None, case, None, actor.as_dict(), now, rules.supervise_every, data.get("request_id"))
    try:
        store.journal.commit(step)
    except CaseChanged:  # a twin of the report opened it first
        existing = store.cases.get(case_id)
        actor.require(existing["lineage"])
        return existing
    return step["create"]


def act(store: CasesStore, actor: Actor, case_id: str, command: str, data: Mapping, rules: Rules,
        clock) -> dict:
    """Run one command on a case, retrying when another writer got there first; a command
    the new state no longer allows fails with `InvalidTransition` naming that state. A
    command whose `request_id` the timeline already shows (its answer was lost) changes
    nothing and gets the case as it is."""
    request_id = data.get("request_id")
    data = {k: v for k, v in data.items() if k != "request_id"}
    for attempt in range(RETRIES):
        case = store.cases.get(case_id)
        actor.require(case["lineage"])
        if applied(case.get("timeline"), request_id, actor.who):
            return case
        now = clock()
        step = lifecycle.decide(case, command, data, now, rules.policy)
        after = {**case, **step.changes, "version": case["version"] + 1}
        after["counted"] = counting.counted_after(case, after)
        record = journal_step(case, after, step, actor.as_dict(), now, rules.supervise_every, request_id)
        try:
            store.journal.commit(record)
        except CaseChanged:
            eventlet.sleep(0.005 * (attempt + 1))
            continue
        return {**after, "timeline": [*case.get("timeline", []), record["entry"]]}
    raise CaseChanged(f"case {case_id} kept changing; try again", [{"field": "case_id", "reason": "busy"}])


def supervise_overdue(store: CasesStore, roster: Roster, system: Actor, rules: Rules, clock) -> int:
    """Flag every case past a deadline and send it one level further up its responsible
    chain (督办); returns how many cases were flagged."""
    flagged = 0
    for watch in store.watches.due(clock()):
        case = store.cases.find(watch["case_id"])
        if case is None or case["state"] not in lifecycle.ACTIVE:
            continue
        passed = sorted((k for k in watch["unmet"] if case["deadlines"][k] <= clock()), key=case["deadlines"].get)
        if not passed:
            continue
        level = case.get("supervision_level", 0) + 1
        supervisors = supervisors_at(roster.chain(case["unit_id"]), level)
        act(store, system, case["_id"], "flag_overdue",
            {"kinds": passed, "supervision_level": level, "supervisors": supervisors}, rules, clock)
        flagged += 1
    return flagged


def supervisors_at(chain: list[Mapping], level: int) -> dict:
    """The `level`-th level above the unit that has leaders (the community when past the top)."""
    ladder = [entry for entry in chain[1:] if entry["leaders"]] or chain[-1:]
    entry = ladder[min(level, len(ladder)) - 1]
    return {"unit_id": entry["unit_id"], "name": entry["name"], "level": entry["level"],
            "leaders": [{"name": p["name"], "role": p["role"]} for p in entry["leaders"]]}


def triage(store: CasesStore, roster: Roster, actor: Actor, data: Mapping, rules: Rules, route, clock) -> dict:
    """Classify a case and record who the rules suggest is responsible, and why."""
    case = store.cases.get(data["case_id"])
    if applied(case.get("timeline"), data.get("request_id"), actor.who):
        return case  # a repeat of a triage whose answer was lost
    lifecycle.check(case, "triage")
    category = data.get("category") or case["category"]
    if not rules.taxonomy.knows(category):
        raise field_error("category", f"not in the taxonomy: {category}")
    chain = roster.chain(case["unit_id"])
    suggestion = route({**case, "category": category, "category_label": rules.taxonomy.label(category)}, chain)
    return act(store, actor, case["_id"], "triage", {**data, "category": category,
                                                    "suggestion": suggestion.as_dict()}, rules, clock)


def accept(store: CasesStore, actor: Actor, data: Mapping, rules: Rules, clock) -> dict:
    """The assignee's side takes the case; of two people accepting at once exactly one wins."""
    handler = {"who": actor.who, "role": actor.role}
    return act(store, actor, data["case_id"], "accept",
               {"handler": handler, "note": data.get("note"), "request_id": data.get("request_id")}, rules, clock)


def mark_duplicate(store: CasesStore, actor: Actor, data: Mapping, rules: Rules, clock) -> dict:
    original = store.cases.get(data["duplicate_of"], "duplicate_of")
    actor.require(original["lineage"])
    return act(store, actor, data["case_id"], "mark_duplicate", data, rules, clock)

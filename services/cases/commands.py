"""Cases' commands: load what a step needs, let the state machine decide, commit through the
journal. Every function takes its collaborators as parameters."""

from collections.abc import Mapping
from datetime import datetime

import eventlet

from services.cases import counting, lifecycle
from services.cases.deciders import supervision_due
from services.cases.exceptions import CaseChanged
from services.cases.intake import case_id_for, journal_step, new_case
from services.cases.policy import CasePolicy
from services.cases.repository import CasesStore
from services.cases.rights import RIGHTS, check_condition
from services.cases.roster import Roster, scope_of
from shared.actor import Actor
from shared.errors import field_error
from shared.requests import applied

RETRIES = 5


def report(store: CasesStore, roster: Roster, actor: Actor, data: Mapping, policy: CasePolicy,
           now: datetime) -> dict:
    """Open a case; the same external reference (or request id) twice gives the same case."""
    if not policy.taxonomy.knows(data["category"]):
        raise field_error("category", f"not in the taxonomy: {data['category']}")
    unit = roster.unit(data["unit_id"])
    actor.require([*unit["ancestors"], unit["unit_id"]])
    case_id = case_id_for(data, actor.key, store.journal.new_id)
    if data.get("external_ref") or data.get("request_id"):
        existing = store.cases.find(case_id)
        if existing is not None:
            actor.require(existing["lineage"])
            return existing
    case = new_case(case_id, data, unit, scope_of(unit), policy.taxonomy.label(data["category"]), now, policy.zone)
    case["reported_by"] = {"who": actor.who, "role": actor.role}
    case["counted"] = counting.counted_after(None, case)
    step = journal_step(None, case, None, actor.as_dict(), now, policy.supervise_every, data.get("request_id"))
    try:
        store.journal.commit(step)
    except CaseChanged:  # a twin of the report opened it first
        existing = store.cases.get(case_id)
        actor.require(existing["lineage"])
        return existing
    return step["create"]


def act(store: CasesStore, actor: Actor, case_id: str, command: str, data: Mapping, policy: CasePolicy,
        clock) -> dict:
    """Run one command on a case, retrying when another writer got there first; a command
    the new state no longer allows fails with `InvalidTransition` naming that state. A
    command whose `request_id` the timeline already shows (its answer was lost), or that
    finds the case already as it would leave it, changes nothing and gets the case as it is."""
    return _act(store, actor, case_id, command, data, policy, clock)[0]


def _act(store: CasesStore, actor: Actor, case_id: str, command: str, data: Mapping, policy: CasePolicy,
         clock) -> tuple[dict, bool]:
    """`act`, also saying whether it took a step."""
    request_id = data.get("request_id")
    data = {k: v for k, v in data.items() if k != "request_id"}
    for attempt in range(RETRIES):
        case = store.cases.get(case_id)
        actor.require(case["lineage"])
        condition = RIGHTS.rule(command, actor.role)  # None: a step no RPC takes (supervision)
        if condition is not None:
            check_condition(condition, actor, case, data)
        if applied(case.get("timeline"), request_id, actor.who):
            return case, False
        now = clock()
        step = lifecycle.decide(case, command, data, now, policy)
        if step is None:
            return case, False
        after = {**case, **step.changes, "version": case["version"] + 1}
        after["counted"] = counting.counted_after(case, after)
        record = journal_step(case, after, step, actor.as_dict(), now, policy.supervise_every, request_id)
        try:
            store.journal.commit(record)
        except CaseChanged:  # decided again on the case as the other writer left it
            eventlet.sleep(0.005 * (attempt + 1))
            continue
        return {**after, "timeline": [*case.get("timeline", []), record["entry"]]}, True
    raise CaseChanged(f"case {case_id} kept changing; try again", [{"field": "case_id", "reason": "busy"}])


def supervise_overdue(store: CasesStore, roster: Roster, system: Actor, policy: CasePolicy, clock) -> int:
    """Flag every case past a deadline and send it one level further up its responsible
    chain (督办), one level per `supervise_every`; returns how many cases this call moved.
    Instances whose timers fire together each decide on the case as they find it, on every
    try, so each level is reached once and causes one `case_overdue`."""
    moved = 0
    for watch in store.watches.due(clock()):
        case = store.cases.find(watch["case_id"])
        now = clock()
        if case is None or not lifecycle.allowed(case["state"], "flag_overdue"):
            continue
        deadlines = case.get("deadlines") or {}
        passed = sorted((k for k in watch["unmet"] if k in deadlines and deadlines[k] <= now), key=deadlines.get)
        level = case.get("supervision_level", 0) + 1
        if not passed or not supervision_due(case, level, now, policy.supervise_every):
            continue  # the watch has not caught up with the case yet
        supervisors = supervisors_at(roster.chain(case["unit_id"]), level)
        data = {"kinds": passed, "supervision_level": level, "supervisors": supervisors}
        moved += _act(store, system, case["_id"], "flag_overdue", data, policy, clock)[1]
    return moved


def supervisors_at(chain: list[Mapping], level: int) -> dict:
    """The `level`-th level above the unit that has leaders (the community when past the top)."""
    ladder = [entry for entry in chain[1:] if entry["leaders"]] or chain[-1:]
    entry = ladder[min(level, len(ladder)) - 1]
    return {"unit_id": entry["unit_id"], "name": entry["name"], "level": entry["level"],
            "leaders": [{"name": p["name"], "role": p["role"]} for p in entry["leaders"]]}


def triage(store: CasesStore, roster: Roster, actor: Actor, data: Mapping, policy: CasePolicy, clock) -> dict:
    """Classify a case and record who the router suggests is responsible, and why."""
    case = store.cases.get(data["case_id"])
    actor.require(case["lineage"])  # before anything about the case is told
    if applied(case.get("timeline"), data.get("request_id"), actor.who):
        return case  # a repeat of a triage whose answer was lost
    lifecycle.check(case, "triage")
    category = data.get("category") or case["category"]
    if not policy.taxonomy.knows(category):
        raise field_error("category", f"not in the taxonomy: {category}")
    chain = roster.chain(case["unit_id"])
    suggestion = policy.route({**case, "category": category, "category_label": policy.taxonomy.label(category)},
                              chain)
    return act(store, actor, case["_id"], "triage", {**data, "category": category,
                                                    "suggestion": suggestion.as_dict()}, policy, clock)


def accept(store: CasesStore, actor: Actor, data: Mapping, policy: CasePolicy, clock) -> dict:
    """The assignee's side takes the case; of two people accepting at once exactly one wins."""
    handler = {"who": actor.who, "role": actor.role}
    return act(store, actor, data["case_id"], "accept",
               {"handler": handler, "note": data.get("note"), "request_id": data.get("request_id")}, policy, clock)


def mark_duplicate(store: CasesStore, actor: Actor, data: Mapping, policy: CasePolicy, clock) -> dict:
    original = store.cases.get(data["duplicate_of"], "duplicate_of")
    actor.require(original["lineage"])
    return act(store, actor, data["case_id"], "mark_duplicate", data, policy, clock)

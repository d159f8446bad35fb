"""Tasks and claims: load what a step needs, check the caller's right, let the pure deciders
(`taskflow`, `claims`) decide, write the task's next version through the journal, deciding
again on the task as it is when another writer got there first."""

import random
from collections.abc import Callable, Mapping
from datetime import datetime

import eventlet

from services.volunteers import claims, taskflow, watching
from services.volunteers.exceptions import ChangedMeanwhile, Forbidden, SkillsMissing
from services.volunteers.membership import lacking
from services.volunteers.others import People, lineage_of
from services.volunteers.repository import VolunteersStore
from services.volunteers.rights import admit, office_person
from services.volunteers.settings import Settings
from services.volunteers.teams_desk import member_id_for, status_of
from services.volunteers.views import task_payload
from shared.actor import Actor
from shared.errors import field_error
from shared.events import envelope
from shared.ids import derived_id
from shared.requests import applied
from shared.rights import GROUPS

#: Tries of one step while other writers keep taking the task's next version: each round one
#: of them wins, so even 200 members claiming one task at once all get through.
ATTEMPTS = 400
OFFICE_ROLES = frozenset(GROUPS["root"]) | frozenset(GROUPS["staff"])

Decide = Callable[[dict, datetime], taskflow.Decision]


def act(store: VolunteersStore, task_id: str, decide: Decide, actor: Mapping, clock: Callable[[], datetime],
        request_id: str | None = None, read: dict | None = None) -> dict:
    """Decide on the task as it is and write its next version; a repeat of a request the history
    already shows, or a step the task no longer needs, changes nothing and gets the task as it is.
    `read`: the task as the caller has just read it, decided on first (a stale read loses the
    version and is read again)."""
    if store.turns.busy(task_id):
        read = None  # read again once it is this writer's turn: the task will have changed
    with store.turns.of(task_id):  # this process's writers of the task one after another
        return _act(store, task_id, decide, actor, clock, request_id, read)


def _act(store: VolunteersStore, task_id: str, decide: Decide, actor: Mapping, clock: Callable[[], datetime],
         request_id: str | None, read: dict | None) -> dict:
    for attempt in range(ATTEMPTS):
        task = read if attempt == 0 and read is not None else store.tasks.get(task_id)
        if applied(task.get("history"), request_id, actor.get("who")):
            return task
        now = clock()
        try:
            decision = decide(task, now)
        except taskflow.NothingToDo:
            return task
        entries = [{**e, **({"request_id": request_id} if request_id else {})} for e in decision.entries]
        owed = [{**a, "owed_at": now} for a in decision.case_actions] if task.get("case_id") else []
        changes = {**decision.set, **({"case_pending": True} if owed else {})}
        after = {**task, **changes}
        events = [envelope(kind, {**task_payload(after), **extra}, dict(actor)) for kind, extra in decision.events]
        try:
            store.tasks.advance(task, changes, {"history": entries, "case_actions": owed}, events,
                                watching.follow_ups(task, {**after, "case_actions": [*task.get("case_actions", []),
                                                                                     *owed]}, now))
        except ChangedMeanwhile:
            eventlet.sleep(random.uniform(0, 0.002 * min(attempt + 1, 25)))
            continue
        return {**after, "version": task["version"] + 1, "history": [*task.get("history", []), *entries],
                "case_actions": [*task.get("case_actions", []), *owed]}
    raise ChangedMeanwhile(f"task {task_id} kept changing; try again", [{"field": "task_id", "reason": "busy"}])


def new_task(task_id: str, team: Mapping, fields: Mapping, actor: Mapping, now: datetime) -> dict:
    return {"_id": task_id, "team_id": team["_id"], "team_name": team["name"], "lineage": list(team["lineage"]),
            "state": "open", "claimants": [], "waiting": [], "reminders": [], "next_expiry": None,
            "case_actions": [], "case_pending": False, "case_accepted": False, "result": None, "reason": None,
            "opened_by": dict(actor), "created_at": now, **fields,
            "history": [taskflow.entry("open", actor, now)]}


def open_task(store: VolunteersStore, people: People, actor: Actor, data: Mapping, settings: Settings,
              now: datetime) -> dict:
    """A task staff (or the team's account) set: a patrol, a legal talk, a 微心愿, any service."""
    team = store.teams.get(data["team_id"])
    admit("open_task", actor, team)
    if data.get("unit_id"):
        unit = people.node(data["unit_id"], "unit_id")
        actor.require(lineage_of(unit))
    task_id = derived_id("task", actor.key, data["request_id"]) if data.get("request_id") else store.journal.new_id()
    fields = {k: data.get(k) for k in ("kind", "title", "description", "required_skills", "headcount", "starts_at",
                                       "ends_at", "unit_id", "wish")}
    fields["case_id"] = None
    return _create(store, new_task(task_id, team, fields, actor.as_dict(), now), actor.as_dict(), settings)


def open_case_task(store: VolunteersStore, team: Mapping, case: Mapping, task_id: str, settings: Settings,
                   actor: Mapping, now: datetime) -> dict:
    """The task a case dispatched to the team opens: the case's place, description and deadline."""
    deadline = (case.get("deadlines") or {}).get("resolution")
    ends = datetime.fromisoformat(deadline) if isinstance(deadline, str) else deadline
    fields = {"kind": "case", "title": f"{case.get('category_label') or case['category']}：{case['description'][:40]}",
              "description": case["description"], "required_skills": settings.category_skills.get(case["category"], []),
              "headcount": settings.case_task_headcount, "starts_at": now,
              "ends_at": ends if ends and ends > now else now + settings.case_task_window,
              "unit_id": case.get("unit_id"), "wish": None, "case_id": case["case_id"],
              "case_urgency": case.get("urgency"), "case_category": case.get("category")}
    return _create(store, new_task(task_id, team, fields, actor, now), actor, settings)


def _create(store: VolunteersStore, task: dict, actor: Mapping, settings: Settings) -> dict:
    try:
        return store.tasks.create(task, [envelope("task_opened", task_payload(task), dict(actor))],
                                  watching.on_open({**task, "version": 1}, settings))
    except ChangedMeanwhile:  # a twin of the request (or of the event) opened it first
        return store.tasks.get(task["_id"])


def claim(store: VolunteersStore, actor: Actor, data: Mapping, settings: Settings, clock) -> dict:
    task = store.tasks.get(data["task_id"])
    team = store.teams.get(task["team_id"])
    seen: dict[str, dict | None] = {}
    person_id = admit("claim_task", actor, team, person_id=data.get("person_id"), task=task,
                      status_of=_status_remembered(store, seen)) or office_person(data.get("person_id"))
    member = _active_member(store, team["_id"], person_id, seen)
    override = data.get("override_reason")
    if override and actor.role not in OFFICE_ROLES:
        raise Forbidden(f"{actor.who} ({actor.role}) may not override required skills",
                        [{"field": "override_reason", "reason": "only staff override the required skills"}])
    if claims.holds(task, person_id) is None:  # a closed task says so before the skills it needs
        taskflow.require_state(task, taskflow.CLAIMABLE, "claim")
    missing = lacking(list(task.get("required_skills") or []), list(member.get("skills") or []))
    if missing and not override:
        raise SkillsMissing(f"{member['name']} lacks {', '.join(missing)}",
                            [{"field": "person_id", "reason": f"lacks required skills: {', '.join(missing)}",
                              "missing": missing}])
    return act(store, task["_id"], lambda t, now: claims.claim(t, member, actor.as_dict(), now,
                                                                settings.confirm_within, override if missing else None),
               actor.as_dict(), clock, data.get("request_id"), read=task)


def confirm(store: VolunteersStore, actor: Actor, data: Mapping, clock) -> dict:
    task, person_id = _claim_subject(store, actor, data, "confirm_claim")
    return act(store, task["_id"], lambda t, now: claims.confirm(t, person_id, actor.as_dict(), now),
               actor.as_dict(), clock, data.get("request_id"))


def withdraw(store: VolunteersStore, actor: Actor, data: Mapping, settings: Settings, clock) -> dict:
    task, person_id = _claim_subject(store, actor, data, "withdraw_claim")
    return act(store, task["_id"], lambda t, now: claims.withdraw(t, person_id, actor.as_dict(), data.get("reason"),
                                                                   now, settings.confirm_within),
               actor.as_dict(), clock, data.get("request_id"))


def _claim_subject(store: VolunteersStore, actor: Actor, data: Mapping, rpc: str) -> tuple[dict, str]:
    task = store.tasks.get(data["task_id"])
    team = store.teams.get(task["team_id"])
    person_id = admit(rpc, actor, team, person_id=data.get("person_id"), task=task, status_of=status_of(store))
    return task, person_id or office_person(data.get("person_id"))


def _status_remembered(store: VolunteersStore, seen: dict[str, dict | None]):
    """`status_of` keeping each membership it reads in `seen` (by person), so a claim reads it once."""

    def status(team_id: str, person_id: str) -> str | None:
        seen[person_id] = store.members.find(member_id_for(team_id, person_id))
        return None if seen[person_id] is None else seen[person_id]["status"]

    return status


def _active_member(store: VolunteersStore, team_id: str, person_id: str, seen: dict[str, dict | None]) -> dict:
    member = seen[person_id] if person_id in seen else store.members.find(member_id_for(team_id, person_id))
    if member is None:
        raise field_error("person_id", "is not a member of the task's team")
    if member["status"] != "active":
        raise field_error("person_id", f"the member is {member['status']}, not active")
    return member


def run_step(store: VolunteersStore, actor: Actor, rpc: str, data: Mapping,
             decide: Callable[[dict, datetime], taskflow.Decision], clock) -> dict:
    """start, finish, cancel: the caller's right checked on the task's team, then the step."""
    task = store.tasks.get(data["task_id"])
    admit(rpc, actor, store.teams.get(task["team_id"]), task=task, status_of=status_of(store))
    return act(store, task["_id"], decide, actor.as_dict(), clock, data.get("request_id"))


def record_consultation(store: VolunteersStore, actor: Actor, data: Mapping, clock) -> dict:
    """A question and the advice given, against the task (and its case, where the team's next
    case step records it in the case's timeline)."""
    task = store.tasks.get(data["task_id"])
    admit("record_consultation", actor, store.teams.get(task["team_id"]), task=task, status_of=status_of(store))
    taskflow.require_state(task, taskflow.UNFINISHED | {"completed"}, "record_consultation")
    consultation_id = (derived_id("cons", actor.key, data["request_id"]) if data.get("request_id")
                       else derived_id("cons", task["_id"], actor.who, data["question"], data["advice"]))
    now = clock()
    doc = {"_id": consultation_id, "task_id": task["_id"], "case_id": task.get("case_id"), "team_id": task["team_id"],
           "question": data["question"], "advice": data["advice"], "by": actor.as_dict(), "at": now}
    stored = store.consultations.insert_new(doc)

    def noted(current: dict, when: datetime) -> taskflow.Decision:
        if any(e.get("consultation_id") == consultation_id for e in current.get("history") or ()):
            raise taskflow.NothingToDo
        decision = taskflow.Decision("consultation", {}, [taskflow.entry("consultation", actor.as_dict(), when,
                                                                         consultation_id=consultation_id)])
        decision.case_actions.append(taskflow.consultation_note(data["question"], data["advice"]))
        return decision

    act(store, task["_id"], noted, actor.as_dict(), clock)
    return stored


def release_expired(store: VolunteersStore, system: Mapping, settings: Settings, clock) -> int:
    """Release every claim not confirmed in time and promote the first waiting; returns how many
    tasks changed. Instances whose timers fire together each decide on the task as they find it."""
    changed = 0
    for watch in store.claim_watches.due(clock()):
        task = store.tasks.find(watch["_id"])
        if task is None:
            store.claim_watches.drop(watch["_id"], watch["version"])
            continue
        after = act(store, task["_id"], lambda t, now: claims.expire(t, system, now, settings.confirm_within),
                    system, clock, read=task)
        changed += after["version"] != task["version"]
        if after.get("next_expiry") is None:
            store.claim_watches.drop(after["_id"], after["version"])
        elif after["next_expiry"] != watch["due"]:
            store.claim_watches.keep(after["_id"], after["next_expiry"], after["version"])
    return changed


def send_reminders(store: VolunteersStore, system: Mapping, settings: Settings, clock) -> int:
    """`task_reminder` to the claimants before a claimed task starts; `task_unclaimed` to staff
    when a task nobody claimed is about to start. Each once per task."""
    sent = 0
    for watch in store.reminder_watches.due(clock()):
        task = store.tasks.find(watch["_id"])
        after = task
        if task is not None and watching.reminder_now(task, settings, clock()):
            after = act(store, task["_id"], lambda t, now: _reminder(t, settings, now), system, clock, read=task)
            sent += after["version"] != task["version"]
        due = None if after is None else watching.reminder_due(after, settings, clock())
        if due is None:
            store.reminder_watches.drop(watch["_id"], after["version"] if after else watch["version"])
        elif due != watch["due"]:
            store.reminder_watches.keep(after["_id"], due, after["version"])
    return sent


def _reminder(task: Mapping, settings: Settings, now: datetime) -> taskflow.Decision:
    kind = watching.reminder_now(task, settings, now)
    if kind is None:
        raise taskflow.NothingToDo
    extra = {"starts_in_minutes": int((task["starts_at"] - now).total_seconds() // 60)}
    return taskflow.Decision("remind", {"reminders": [*(task.get("reminders") or []), kind]}, [], [(kind, extra)])

"""A task's states and what each step does to it, as pure functions over the task document.

open → claimed (someone holds a claim) → in_progress → completed / could_not_complete, or
cancelled from any state before the end. A step is a `Decision`: the fields to set, the
history entries, the events, and the actions the team owes the case (for a task opened from a
dispatched case); `NothingToDo` when the task is already as the step would leave it."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.errors import InvalidTransition, field_error
from shared.terms_zh import STATES as STATE_WORDS

STATES = ("open", "claimed", "in_progress", "completed", "could_not_complete", "cancelled")
STATE_LABELS = {state: STATE_WORDS[state] for state in STATES}  # the words errors use too
CLAIMABLE = frozenset({"open", "claimed"})
UNFINISHED = frozenset({"open", "claimed", "in_progress"})
KINDS = {"case": "案件协办", "patrol": "巡查", "legal_talk": "法律讲座", "wish": "微心愿", "service": "志愿服务",
         "other": "其他"}


class NothingToDo(Exception):
    """The task is already as the step would leave it: no write, no event."""


@dataclass
class Decision:
    """What one step does to a task."""

    action: str
    set: dict[str, Any] = field(default_factory=dict)
    entries: list[dict] = field(default_factory=list)
    events: list[tuple[str, dict]] = field(default_factory=list)  # (type, what the payload adds)
    case_actions: list[dict] = field(default_factory=list)  # {action, data}: owed to the case


def entry(action: str, by: Mapping, now: datetime, **detail: Any) -> dict:
    return {"action": action, "at": now, "actor": dict(by), **{k: v for k, v in detail.items() if v is not None}}


def require_state(task: Mapping, allowed: frozenset[str] | set[str], action: str) -> None:
    if task["state"] not in allowed:
        needed = ", ".join(sorted(allowed))
        raise InvalidTransition(f"task {task['_id']} is {task['state']}; {action} needs one of: {needed}",
                                [{"field": "state", "reason": f"is {task['state']}", "current_state": task["state"]}])


def start(task: Mapping, by: Mapping, note: str | None, now: datetime) -> Decision:
    if task["state"] == "in_progress":
        raise NothingToDo
    require_state(task, {"claimed"}, "start")
    decision = Decision("start", {"state": "in_progress", "started_at": now, **_claims_settled(task, now)},
                        [entry("start", by, now, note=note)], [("task_started", {})])
    decision.case_actions.append({"action": "progress", "data": {"note": f"志愿服务开始：{note or task['title']}"}})
    return decision


def finish(task: Mapping, by: Mapping, outcome: str, result: str | None, reason: str | None,
           now: datetime) -> Decision:
    """completed (with the result) or could_not_complete (with the reason)."""
    if task["state"] == outcome:
        raise NothingToDo
    require_state(task, {"claimed", "in_progress"}, "finish")
    if outcome == "completed" and not result:
        raise field_error("result", "required when the task is completed")
    if outcome == "could_not_complete" and not reason:
        raise field_error("reason", "required when the task could not be completed")
    decision = Decision("finish", {"state": outcome, "finished_at": now, "result": result, "reason": reason,
                                   **_claims_settled(task, now)},
                        [entry(outcome, by, now, result=result, reason=reason)],
                        [("task_completed", {"outcome": outcome, "result": result, "reason": reason})])
    if outcome == "completed":
        decision.case_actions.append({"action": "resolve", "data": {"result": result}})
    else:
        decision.case_actions.append({"action": "return_case", "data": {"reason": f"支援队伍未能完成：{reason}"}})
    return decision


def cancel(task: Mapping, by: Mapping, reason: str, now: datetime) -> Decision:
    if task["state"] == "cancelled":
        raise NothingToDo
    require_state(task, UNFINISHED, "cancel")
    decision = Decision("cancel", {"state": "cancelled", "finished_at": now, "reason": reason, "next_expiry": None},
                        [entry("cancel", by, now, reason=reason)],
                        [("task_cancelled", {"reason": reason})])
    if task.get("case_accepted"):
        decision.case_actions.append({"action": "return_case", "data": {"reason": f"支援任务已取消：{reason}"}})
    return decision


def _claims_settled(task: Mapping, now: datetime) -> dict:
    """Once a task starts (or ends) its claimants are in: no claim is left to expire."""
    claimants = [{**c, "confirmed_at": c.get("confirmed_at") or now} for c in task.get("claimants") or ()]
    return {"claimants": claimants, "next_expiry": None}


def consultation_note(question: str, advice: str) -> dict:
    """What a consultation adds to the case's timeline."""
    return {"action": "progress", "data": {"note": f"咨询：{question}\n意见：{advice}"}}


def scheduled_minutes(task: Mapping) -> int:
    """The task's time window in minutes: what a member was scheduled for. A task opened from a
    case has a deadline, not a schedule: 0 (as a task without a window)."""
    if task.get("kind") == "case" or not task.get("starts_at") or not task.get("ends_at"):
        return 0
    return max(int((task["ends_at"] - task["starts_at"]).total_seconds() // 60), 0)

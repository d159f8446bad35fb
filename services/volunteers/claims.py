"""Claims (认领) on a task, as pure functions over the task document.

A task has `headcount` places. A claim takes a free place, or else joins the end of the
waiting list. A claim holds its place until `confirm_by`: confirmed in time it stays; not
confirmed, or withdrawn, it is released, recorded in the task's history, and the first member
waiting is promoted into the place (with its own time to confirm). Every function returns a
`Decision` for one versioned write, so claims decided together never exceed the head-count:
of two writers at one version exactly one wins and the other decides again."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from services.volunteers.taskflow import CLAIMABLE, Decision, NothingToDo, entry, require_state
from shared.errors import Forbidden


def holds(task: Mapping, person_id: str) -> tuple[str, int] | None:
    """Where the person is on the task (`claimants` or `waiting`, and their index), if at all."""
    for where in ("claimants", "waiting"):
        for index, claim in enumerate(task.get(where) or ()):
            if claim["person_id"] == person_id:
                return where, index
    return None


def _state_after(task: Mapping, claimants: list) -> str:
    if task["state"] in CLAIMABLE:
        return "claimed" if claimants else "open"
    return task["state"]


def _next_expiry(claimants: list) -> datetime | None:
    due = [c["confirm_by"] for c in claimants if not c.get("confirmed_at")]
    return min(due) if due else None


def claim(task: Mapping, member: Mapping, by: Mapping, now: datetime, confirm_within: timedelta,
          override_reason: str | None = None) -> Decision:
    """A place when one is free, else the end of the waiting list; a repeat changes nothing."""
    if holds(task, member["person_id"]) is not None:
        raise NothingToDo
    require_state(task, CLAIMABLE, "claim")
    claimants, waiting = list(task.get("claimants") or []), list(task.get("waiting") or [])
    who = {"person_id": member["person_id"], "member_id": member["_id"], "name": member["name"]}
    if len(claimants) < task["headcount"]:
        claimants.append({**who, "claimed_at": now, "confirm_by": now + confirm_within, "confirmed_at": None,
                          **({"override_reason": override_reason} if override_reason else {})})
        decision = Decision("claim", {"claimants": claimants, "state": _state_after(task, claimants),
                                      "next_expiry": _next_expiry(claimants)},
                            [entry("claim", by, now, person_id=member["person_id"], override_reason=override_reason)],
                            [("task_claimed", {"person_id": member["person_id"], "waiting": False})])
        if task.get("case_id") and not task.get("case_accepted"):
            decision.set["case_accepted"] = True
            note = f"{task['team_name']}认领：{member['name']}"
            decision.case_actions.append({"action": "accept", "data": {"note": note}})
        return decision
    waiting.append({**who, "since": now, **({"override_reason": override_reason} if override_reason else {})})
    return Decision("wait", {"waiting": waiting},
                    [entry("wait", by, now, person_id=member["person_id"], position=len(waiting))],
                    [("task_claimed", {"person_id": member["person_id"], "waiting": True, "position": len(waiting)})])


def confirm(task: Mapping, person_id: str, by: Mapping, now: datetime) -> Decision:
    held = holds(task, person_id)
    if held is None or held[0] != "claimants":
        raise Forbidden(f"{person_id} holds no claim on task {task['_id']}",
                        [{"field": "person_id", "reason": "holds no claim on this task"}])
    claimants = [dict(c) for c in task["claimants"]]
    if claimants[held[1]].get("confirmed_at"):
        raise NothingToDo
    claimants[held[1]]["confirmed_at"] = now
    return Decision("confirm", {"claimants": claimants, "next_expiry": _next_expiry(claimants)},
                    [entry("confirm", by, now, person_id=person_id)])


def withdraw(task: Mapping, person_id: str, by: Mapping, reason: str | None, now: datetime,
             confirm_within: timedelta) -> Decision:
    """The claim (or the place in the waiting list) let go; a freed place goes to the first waiting."""
    held = holds(task, person_id)
    if held is None:
        raise NothingToDo
    require_state(task, CLAIMABLE, "withdraw")
    where, index = held
    kept = [c for i, c in enumerate(task[where]) if i != index]
    if where == "waiting":
        return Decision("withdraw", {"waiting": kept}, [entry("leave_waiting", by, now, person_id=person_id,
                                                               reason=reason)])
    return _released(task, kept, [person_id], by, "withdrawn", reason, now, confirm_within)


def expire(task: Mapping, by: Mapping, now: datetime, confirm_within: timedelta) -> Decision:
    """Every claim not confirmed by its time released, the waiting promoted into the places."""
    if task["state"] not in CLAIMABLE:
        if task.get("next_expiry") is None:
            raise NothingToDo
        return Decision("settle", {"next_expiry": None})  # started or ended meanwhile: its claims stand
    late = [c["person_id"] for c in task.get("claimants") or () if not c.get("confirmed_at") and c["confirm_by"] <= now]
    if not late:
        raise NothingToDo
    kept = [c for c in task["claimants"] if c["person_id"] not in late]
    return _released(task, kept, late, by, "expired", "not confirmed in time", now, confirm_within)


def _released(task: Mapping, kept: list, released: list[str], by: Mapping, why: str, reason: str | None,
              now: datetime, confirm_within: timedelta) -> Decision:
    waiting = list(task.get("waiting") or [])
    claimants = list(kept)
    decision = Decision("release")
    for person_id in released:
        decision.entries.append(entry("release", by, now, person_id=person_id, why=why, reason=reason))
        decision.events.append(("task_released", {"person_id": person_id, "why": why, "reason": reason}))
    while waiting and len(claimants) < task["headcount"]:
        first = waiting.pop(0)
        claimants.append({k: first[k] for k in ("person_id", "member_id", "name")}
                         | {"claimed_at": now, "confirm_by": now + confirm_within, "confirmed_at": None,
                            "promoted_from_waiting": first["since"]})
        decision.entries.append(entry("promote", by, now, person_id=first["person_id"]))
        decision.events.append(("task_claimed", {"person_id": first["person_id"], "waiting": False,
                                                 "promoted": True}))
    decision.set.update({"claimants": claimants, "waiting": waiting, "state": _state_after(task, claimants),
                         "next_expiry": _next_expiry(claimants)})
    return decision

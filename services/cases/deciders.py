"""What each case command changes, as pure functions filling in a `Step`: the fields to set,
the timeline detail, and any events beyond the command's own (see `lifecycle` for which
command may run in which state)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.cases.calendar import DeadlinePolicy
from shared.errors import InvalidTransition, field_error


@dataclass
class Step:
    """What one command does to a case: fields to set, a timeline note, events."""

    command: str
    from_state: str
    to_state: str
    changes: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


def plain(case, data, now, policy, step: Step) -> None:
    step.detail.update({k: v for k, v in data.items() if v is not None})


def _self_resolve(case, data, now, policy, step: Step) -> None:
    step.changes.update({"result": data["result"], "resolved_at": now, "self_resolved": True})
    step.detail["result"] = data["result"]


def _escalate(case, data, now, policy, step: Step) -> None:
    step.changes.update({"escalated_at": now, **_deadlines(case, policy, now)})
    step.detail.update({k: v for k, v in data.items() if v})


def _triage(case, data, now, policy, step: Step) -> None:
    category = data.get("category") or case["category"]
    urgency = data.get("urgency") or case["urgency"]
    step.changes.update({"category": category, "urgency": urgency, "suggestion": data.get("suggestion")})
    if (category, urgency) != (case["category"], case["urgency"]):
        start = case.get("reopened_at") if case["state"] == "reopened" else case.get("escalated_at")
        step.changes.update(_deadlines({**case, "category": category, "urgency": urgency}, policy, start or now))
    step.detail.update({"category": category, "urgency": urgency, "suggestion": data.get("suggestion"),
                        "note": data.get("note")})


def _dispatch(case, data, now, policy, step: Step) -> None:
    step.changes.update({"assignee": dict(data["assignee"]), "co_handlers": list(data.get("co_handlers") or []),
                         "dispatched_at": now, "handler": None})
    step.detail.update({"assignee": dict(data["assignee"]), "co_handlers": list(data.get("co_handlers") or [])})


def _accept(case, data, now, policy, step: Step) -> None:
    due = (case.get("deadlines") or {}).get("response")
    step.changes.update({"handler": data["handler"], "accepted_at": now,
                         "responded_on_time": due is None or now <= due})
    step.detail["handler"] = data["handler"]


def _return(case, data, now, policy, step: Step) -> None:
    step.changes.update({"assignee": None, "handler": None, "returned_reason": data["reason"]})
    step.detail["reason"] = data["reason"]


def _progress(case, data, now, policy, step: Step) -> None:
    step.detail.update({"note": data["note"], "site_visit": bool(data.get("site_visit")),
                        "photos": list(data.get("photos") or [])})


def _mediate(case, data, now, policy, step: Step) -> None:
    record = {**data, "recorded_at": now}
    step.changes["mediations"] = [*case.get("mediations", []), record]
    step.detail["mediation"] = dict(data)


def _resolve(case, data, now, policy, step: Step) -> None:
    due = (case.get("deadlines") or {}).get("resolution")
    step.changes.update({"result": data["result"], "resolved_at": now, "resolved_on_time": due is None or now <= due})
    step.detail["result"] = data["result"]


def _evaluate(case, data, now, policy, step: Step) -> None:
    satisfied = bool(data["satisfied"])
    if not satisfied and not data.get("reason"):
        raise field_error("reason", "required when the resident is not satisfied")
    verdict = {"satisfied": satisfied, "reason": data.get("reason"), "comment": data.get("comment"), "at": now}
    step.changes["evaluations"] = [*case.get("evaluations", []), verdict]
    step.detail.update({k: v for k, v in verdict.items() if k != "at"})
    if satisfied:
        step.to_state = "closed"
        step.changes["closed_at"] = now
        step.events.append("case_closed")
    else:
        step.to_state = "reopened"
        step.changes.update({"reopened_at": now, "reopen_count": case.get("reopen_count", 0) + 1,
                             "assignee": None, "handler": None, "self_resolved": False,
                             **_deadlines(case, policy, now)})
        step.events.append("case_reopened")


def _suspend(case, data, now, policy, step: Step) -> None:
    step.changes.update({"suspended_from": case["state"], "suspended_at": now})
    step.detail["reason"] = data["reason"]


def _resume(case, data, now, policy, step: Step) -> None:
    step.to_state = case["suspended_from"]
    paused = now - case["suspended_at"]
    deadlines = {k: v + paused for k, v in (case.get("deadlines") or {}).items()}
    step.changes.update({"suspended_from": None, "suspended_at": None, "deadlines": deadlines})
    step.detail.update({"paused_seconds": int(paused.total_seconds()), "note": data.get("note")})


def _request_extension(case, data, now, policy, step: Step) -> None:
    due = (case.get("deadlines") or {}).get("resolution")
    if (case.get("extension") or {}).get("status") == "requested":
        raise InvalidTransition("an extension is already awaiting a decision",
                                [{"field": "extension", "reason": "already requested", "current_state": case["state"]}])
    if due is not None and now > due:
        raise InvalidTransition("the resolution deadline has passed; an extension must be asked before it",
                                [{"field": "deadlines.resolution", "reason": "already passed",
                                  "current_state": case["state"]}])
    step.changes["extension"] = {"status": "requested", "working_days": data["working_days"],
                                 "reason": data["reason"], "requested_at": now}
    step.detail.update({"working_days": data["working_days"], "reason": data["reason"]})


def _decide_extension(case, data, now, policy, step: Step) -> None:
    extension = dict(case.get("extension") or {})
    if extension.get("status") != "requested":
        raise InvalidTransition("no extension is awaiting a decision",
                                [{"field": "extension", "reason": "not requested", "current_state": case["state"]}])
    extension.update({"status": "granted" if data["granted"] else "denied", "decided_at": now,
                      "note": data.get("note")})
    step.changes["extension"] = extension
    if data["granted"]:
        deadlines = dict(case.get("deadlines") or {})
        base = deadlines.get("resolution") or now
        deadlines["resolution"] = policy.calendar.after_working_days(base, extension["working_days"])
        step.changes["deadlines"] = deadlines
    step.detail.update({"granted": data["granted"], "note": data.get("note")})


def _mark_duplicate(case, data, now, policy, step: Step) -> None:
    if data["duplicate_of"] == case["_id"]:
        raise field_error("duplicate_of", "a case cannot duplicate itself")
    step.changes["duplicate_of"] = data["duplicate_of"]
    step.detail["duplicate_of"] = data["duplicate_of"]


def _flag_overdue(case, data, now, policy, step: Step) -> None:
    step.changes.update({"overdue": sorted({*case.get("overdue", []), *data["kinds"]}),
                         "supervision_level": data["supervision_level"], "last_supervised_at": now})
    step.detail.update({k: v for k, v in data.items()})


def _link_meeting(case, data, now, policy, step: Step) -> None:
    step.changes["meetings"] = sorted({*case.get("meetings", []), data["meeting_id"]})
    step.detail.update(data)


def _deadlines(case: Mapping, policy: DeadlinePolicy, start: datetime) -> dict[str, Any]:
    return {"deadlines": policy.deadlines(case["category"], case["urgency"], start), "overdue": []}


DECIDERS: dict[str, Callable[..., None]] = {
    "self_resolve": _self_resolve, "escalate": _escalate, "triage": _triage, "dispatch": _dispatch,
    "accept": _accept, "return_case": _return, "progress": _progress, "mediate": _mediate,
    "resolve": _resolve, "evaluate": _evaluate, "suspend": _suspend, "resume": _resume,
    "request_extension": _request_extension, "decide_extension": _decide_extension,
    "mark_duplicate": _mark_duplicate, "flag_overdue": _flag_overdue, "link_meeting": _link_meeting,
}

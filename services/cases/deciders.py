"""What each case command changes, as pure functions filling in a `Step`: the fields to set,
the timeline detail, and any events beyond the command's own. Each takes
`(case, data, now, policy, step)`; `lifecycle.COMMANDS` declares which one a command uses
and in which states it may run."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.cases.policy import CasePolicy
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


class NothingToDo(Exception):
    """The case is already as the command would leave it: no step, no event."""


def self_resolve(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    _meeting_note(case, data, step)
    step.changes.update({"result": data["result"], "resolved_at": now, "self_resolved": True})
    step.detail["result"] = data["result"]


def escalate(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    step.changes.update({"escalated_at": now, **_deadlines(case, policy, now)})
    step.detail.update({k: v for k, v in data.items() if v})


def triage(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    category = data.get("category") or case["category"]
    urgency = data.get("urgency") or case["urgency"]
    step.changes.update({"category": category, "urgency": urgency, "suggestion": data.get("suggestion")})
    if (category, urgency) != (case["category"], case["urgency"]):
        start = case.get("reopened_at") if case["state"] == "reopened" else case.get("escalated_at")
        step.changes.update(_deadlines({**case, "category": category, "urgency": urgency}, policy, start or now))
    step.detail.update({"category": category, "urgency": urgency, "suggestion": data.get("suggestion"),
                        "note": data.get("note")})


def dispatch(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    step.changes.update({"assignee": dict(data["assignee"]), "co_handlers": list(data.get("co_handlers") or []),
                         "dispatched_at": now, "handler": None})
    step.detail.update({"assignee": dict(data["assignee"]), "co_handlers": list(data.get("co_handlers") or [])})


def accept(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    due = (case.get("deadlines") or {}).get("response")
    step.changes.update({"handler": data["handler"], "accepted_at": now,
                         "responded_on_time": due is None or now <= due})
    step.detail["handler"] = data["handler"]


def return_case(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    step.changes.update({"assignee": None, "handler": None, "returned_reason": data["reason"]})
    step.detail["reason"] = data["reason"]


def progress(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    step.detail.update({"note": data["note"], "site_visit": bool(data.get("site_visit")),
                        "photos": list(data.get("photos") or [])})


def mediate(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    record = {**data, "recorded_at": now}
    step.changes["mediations"] = [*case.get("mediations", []), record]
    step.detail["mediation"] = dict(data)


def resolve(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    _meeting_note(case, data, step)
    due = (case.get("deadlines") or {}).get("resolution")
    step.changes.update({"result": data["result"], "resolved_at": now, "resolved_on_time": due is None or now <= due})
    step.detail["result"] = data["result"]


def unrecorded_meetings(case: Mapping) -> list[str]:
    """The meetings linked to the case whose record has not reached it."""
    return sorted(set(case.get("meetings") or ()) - set(case.get("meetings_recorded") or ()))


def _meeting_note(case: Mapping, data: Mapping, step: Step) -> None:
    """A case resolved while a linked meeting is unrecorded says why (`meeting_note`, e.g.
    "会议未召开，因…"), and its timeline names those meetings."""
    pending = unrecorded_meetings(case)
    if not pending:
        return
    if not data.get("meeting_note"):
        raise field_error("meeting_note", f"required: linked meeting not recorded ({', '.join(pending)}); "
                                          "say why, e.g. 会议未召开，因…")
    step.changes["meeting_note"] = data["meeting_note"]
    step.detail.update({"meeting_note": data["meeting_note"], "meetings_not_recorded": pending})


def evaluate(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    satisfied = bool(data["satisfied"])
    if not satisfied and not data.get("reason"):
        raise field_error("reason", "required when the resident is not satisfied")
    verdict = {"satisfied": satisfied, "reason": data.get("reason"), "comment": data.get("comment"), "at": now}
    if data.get("on_behalf_of_reporter"):  # recorded by staff or a leader: how the verdict was obtained
        verdict["on_behalf_of_reporter"] = data["on_behalf_of_reporter"]
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


def suspend(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    step.changes.update({"suspended_from": case["state"], "suspended_at": now})
    step.detail["reason"] = data["reason"]


def resume(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    step.to_state = case["suspended_from"]
    paused = now - case["suspended_at"]
    deadlines = {k: v + paused for k, v in (case.get("deadlines") or {}).items()}
    step.changes.update({"suspended_from": None, "suspended_at": None, "deadlines": deadlines})
    step.detail.update({"paused_seconds": int(paused.total_seconds()), "note": data.get("note")})


def request_extension(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
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


def decide_extension(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
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
        deadlines["resolution"] = policy.deadlines.calendar.after_working_days(base, extension["working_days"])
        step.changes["deadlines"] = deadlines
    step.detail.update({"granted": data["granted"], "note": data.get("note")})


def mark_duplicate(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    if data["duplicate_of"] == case["_id"]:
        raise field_error("duplicate_of", "a case cannot duplicate itself")
    step.changes["duplicate_of"] = data["duplicate_of"]
    step.detail["duplicate_of"] = data["duplicate_of"]


def send_back(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    """退回来源: not this community's to handle; back to where it came from, with the reason."""
    step.changes.update({"sent_back_reason": data["reason"], "sent_back_at": now})
    step.detail["reason"] = data["reason"]


def flag_overdue(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    """Supervision one level further up the responsible chain (督办): `supervision_level` is
    the level to reach, `supervisors` who supervises there, `kinds` the deadlines passed. A
    case already supervised at that level (another instance or timer got there first) or
    less than `supervise_every` ago is left as it is, so each level is reached once."""
    if not supervision_due(case, data["supervision_level"], now, policy.supervise_every):
        raise NothingToDo
    step.changes.update({"overdue": sorted({*case.get("overdue", []), *data["kinds"]}),
                         "supervision_level": data["supervision_level"], "last_supervised_at": now})
    step.detail.update(data)


def supervision_due(case: Mapping, level: int, now: datetime, every: timedelta) -> bool:
    """Whether supervising the case at `level` now is its next supervision: it stands one
    level below, and its last supervision is at least `every` ago."""
    last = case.get("last_supervised_at")
    return case.get("supervision_level", 0) == level - 1 and (last is None or now - last >= every)


def link_meeting(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    step.changes["meetings"] = sorted({*case.get("meetings", []), data["meeting_id"]})
    step.detail.update(data)


def post_meeting_outcome(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    """A linked meeting's record (outcome, votes, decision, cost split) on the timeline, once
    per meeting: the case keeps the meetings posted to it."""
    posted = case.get("meetings_recorded") or []
    if data["meeting_id"] in posted:
        raise NothingToDo
    step.changes["meetings_recorded"] = sorted({*posted, data["meeting_id"]})
    step.changes["meetings"] = sorted({*case.get("meetings", []), data["meeting_id"]})
    step.detail.update(data)


def post_meeting_payment(case: Mapping, data: Mapping, now: datetime, policy: CasePolicy, step: Step) -> None:
    """A household's payment of its share of a linked meeting's cost, once per share."""
    key, posted = f"{data['meeting_id']}:{data['share']}", case.get("meeting_payments") or []
    if key in posted:
        raise NothingToDo
    step.changes["meeting_payments"] = sorted({*posted, key})
    step.detail.update(data)


def _deadlines(case: Mapping, policy: CasePolicy, start: datetime) -> dict[str, Any]:
    return {"deadlines": policy.deadlines.due(case["category"], case["urgency"], start), "overdue": []}

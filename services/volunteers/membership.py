"""A member's way through a team, as a pure state machine: apply → screened (passed: active;
failed: rejected) → active ⇄ paused → left. Every step is kept in the member's history with
who took it, when and why."""

from collections.abc import Mapping
from datetime import datetime

from shared.errors import InvalidTransition, field_error

STATUSES = ("applied", "active", "rejected", "paused", "left")
STATUS_LABELS = {"applied": "待审核", "active": "在册", "rejected": "未通过", "paused": "暂停", "left": "已退出"}
#: status → the statuses `set_member_status` may lead to from it
MOVES: dict[str, tuple[str, ...]] = {
    "applied": ("left",),
    "active": ("paused", "left"),
    "paused": ("active", "left"),
    "rejected": (),
    "left": (),
}


def screening(member: Mapping, passed: bool, note: str | None, by: Mapping, now: datetime) -> dict:
    """The fields a screening sets: outcome, by whom, when, note; the member active or rejected."""
    if member["status"] != "applied":
        raise InvalidTransition(f"member {member['_id']} is {member['status']}; only an applicant is screened",
                                [{"field": "status", "reason": f"is {member['status']}",
                                  "current_state": member["status"]}])
    status = "active" if passed else "rejected"
    return {"status": status, "screening": {"passed": bool(passed), "note": note, "by": dict(by), "at": now}}


def moved(member: Mapping, status: str, reason: str | None) -> dict:
    """The fields a status change sets; pausing and leaving say why."""
    current = member["status"]
    if status == current:
        return {}
    if status not in MOVES.get(current, ()):
        allowed = ", ".join(MOVES.get(current, ())) or "nothing"
        raise InvalidTransition(f"member {member['_id']} is {current}; allowed: {allowed}",
                                [{"field": "status", "reason": f"is {current}; allowed: {allowed}",
                                  "current_state": current}])
    if status in ("paused", "left") and not reason:
        raise field_error("reason", f"required when a member is {status}")
    change: dict = {"status": status}
    if status == "left":
        change["left_reason"] = reason
    if status == "paused":
        change["paused_reason"] = reason
    return change


def lacking(required: list[str], skills: list[str]) -> list[str]:
    """The required skills a member does not have, compared without case or surrounding spaces."""
    held = {s.strip().casefold() for s in skills}
    return [s for s in required if s.strip().casefold() not in held]

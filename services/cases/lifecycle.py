"""The case state machine, as pure functions: which command may run in which state, what
it changes and which events it causes.

    reported ─self_resolve→ self_resolved ─evaluate→ closed | reopened
    reported ─escalate→ escalated ─triage→ triaged ─dispatch→ dispatched ─accept→ accepted
    dispatched/accepted ─return_case→ escalated
    accepted/in_progress ─progress/mediate→ in_progress ─resolve→ resolved ─evaluate→ closed | reopened
    reopened ─triage→ triaged …;  active ─suspend→ suspended ─resume→ (where it was)
    reported/escalated/triaged ─mark_duplicate→ duplicate
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.cases.calendar import DeadlinePolicy
from services.cases.deciders import DECIDERS, Step, plain
from shared.errors import InvalidTransition

__all__ = ["ACTIVE", "EVENTS", "RULES", "STATES", "TERMINAL", "Step", "allowed", "check", "decide"]

ACTIVE = frozenset({"escalated", "triaged", "dispatched", "accepted", "in_progress", "reopened"})
AWAITING_VERDICT = frozenset({"self_resolved", "resolved"})
TERMINAL = frozenset({"closed", "duplicate"})
STATES = frozenset({"reported", "suspended"}) | ACTIVE | AWAITING_VERDICT | TERMINAL


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str | None  # None: decided by the command (evaluate, resume) or unchanged


RULES: dict[str, Rule] = {
    "self_resolve": Rule(frozenset({"reported"}), "self_resolved"),
    "escalate": Rule(frozenset({"reported"}), "escalated"),
    "triage": Rule(frozenset({"escalated", "reopened"}), "triaged"),
    "dispatch": Rule(frozenset({"triaged"}), "dispatched"),
    "accept": Rule(frozenset({"dispatched"}), "accepted"),
    "return_case": Rule(frozenset({"dispatched", "accepted"}), "escalated"),
    "progress": Rule(frozenset({"accepted", "in_progress"}), "in_progress"),
    "mediate": Rule(frozenset({"accepted", "in_progress"}), "in_progress"),
    "resolve": Rule(frozenset({"accepted", "in_progress"}), "resolved"),
    "evaluate": Rule(AWAITING_VERDICT, None),
    "suspend": Rule(ACTIVE, "suspended"),
    "resume": Rule(frozenset({"suspended"}), None),
    "request_extension": Rule(frozenset({"dispatched", "accepted", "in_progress"}), None),
    "decide_extension": Rule(frozenset({"dispatched", "accepted", "in_progress"}), None),
    "mark_duplicate": Rule(frozenset({"reported", "escalated", "triaged"}), "duplicate"),
    "flag_overdue": Rule(ACTIVE, None),
    "link_meeting": Rule(STATES - TERMINAL, None),
}

#: The event each command causes (evaluate adds case_closed or case_reopened).
EVENTS: dict[str, str] = {
    "self_resolve": "case_resolved", "escalate": "case_escalated", "triage": "case_triaged",
    "dispatch": "case_dispatched", "accept": "case_accepted", "return_case": "case_returned",
    "progress": "case_progressed", "mediate": "case_mediated", "resolve": "case_resolved",
    "evaluate": "case_evaluated", "suspend": "case_suspended", "resume": "case_resumed",
    "request_extension": "case_extension_requested", "decide_extension": "case_extension_decided",
    "mark_duplicate": "case_marked_duplicate", "flag_overdue": "case_overdue", "link_meeting": "case_meeting_linked",
}


def allowed(state: str, command: str) -> bool:
    return state in RULES[command].sources


def check(case: Mapping, command: str) -> None:
    """`InvalidTransition` naming the current state when `command` cannot run now."""
    state = case["state"]
    if not allowed(state, command):
        needed = ", ".join(sorted(RULES[command].sources))
        raise InvalidTransition(f"case {case['_id']} is {state}; {command} needs one of: {needed}",
                                [{"field": "state", "reason": f"is {state}", "current_state": state}])


def decide(case: Mapping, command: str, data: Mapping, now: datetime, policy: DeadlinePolicy) -> Step:
    """The step `command` makes from the case's current state, or an error changing nothing."""
    check(case, command)
    rule = RULES[command]
    step = Step(command, case["state"], rule.target or case["state"], events=[EVENTS[command]])
    DECIDERS.get(command, plain)(case, data, now, policy, step)
    step.changes["state"] = step.to_state
    return step

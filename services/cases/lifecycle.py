"""The case state machine: every command declared once (the states it may start from, the
state it leads to, the event it causes, its decider, the input schema of its RPC), and
`decide`, which runs one on a case as pure functions.

    reported ─self_resolve→ self_resolved ─evaluate→ closed | reopened
    reported ─escalate→ escalated ─triage→ triaged ─dispatch→ dispatched ─accept→ accepted
    dispatched/accepted ─return_case→ escalated
    accepted/in_progress ─progress/mediate→ in_progress ─resolve→ resolved ─evaluate→ closed | reopened
    reopened ─triage→ triaged …;  active ─suspend→ suspended ─resume→ (where it was)
    reported/escalated/triaged ─mark_duplicate→ duplicate;  ─send_back (reason)→ sent_back (退回来源)
    reported/active/suspended ─link_meeting→ (unchanged); not ended ─post_meeting_outcome/payment→ (unchanged)
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.cases.deciders import (
    NothingToDo,
    Step,
    accept,
    decide_extension,
    dispatch,
    escalate,
    evaluate,
    flag_overdue,
    link_meeting,
    mark_duplicate,
    mediate,
    post_meeting_outcome,
    post_meeting_payment,
    progress,
    request_extension,
    resolve,
    resume,
    return_case,
    self_resolve,
    send_back,
    suspend,
    triage,
)
from services.cases.policy import CasePolicy
from shared.errors import InvalidTransition

__all__ = ["ACTIVE", "COMMANDS", "STATE_LABELS", "STATES", "TERMINAL", "Command", "Step", "allowed", "check",
           "decide"]

ACTIVE = frozenset({"escalated", "triaged", "dispatched", "accepted", "in_progress", "reopened"})
AWAITING_VERDICT = frozenset({"self_resolved", "resolved"})
TERMINAL = frozenset({"closed", "duplicate", "sent_back"})
STATES = frozenset({"reported", "suspended"}) | ACTIVE | AWAITING_VERDICT | TERMINAL
UNASSIGNED = frozenset({"reported", "escalated", "triaged"})
HANDLING = frozenset({"dispatched", "accepted", "in_progress"})
WORKING = frozenset({"accepted", "in_progress"})

Decider = Callable[[Mapping, Mapping, datetime, CasePolicy, Step], None]


@dataclass(frozen=True)
class Command:
    """One case command: everything about it is said here, once."""

    sources: frozenset[str]  # the states it may start from
    target: str | None  # the state it leads to; None: decided by the decider (evaluate, resume) or unchanged
    event: str  # the event it causes (evaluate adds case_closed or case_reopened)
    decide: Decider  # fills in the step: the fields it sets, the timeline detail, further events
    schema: str | None  # its RPC's input schema in `services.cases.schemas`; None: the service's own command


def _in(*states: str) -> frozenset[str]:
    return frozenset(states)


COMMANDS: dict[str, Command] = {  # name: Command(sources, target, event, decide, schema)
    "self_resolve": Command(_in("reported"), "self_resolved", "case_resolved", self_resolve, "Result"),
    "escalate": Command(_in("reported"), "escalated", "case_escalated", escalate, "WithNote"),
    "triage": Command(_in("escalated", "reopened"), "triaged", "case_triaged", triage, "Triage"),
    "dispatch": Command(_in("triaged"), "dispatched", "case_dispatched", dispatch, "Dispatch"),
    "accept": Command(_in("dispatched"), "accepted", "case_accepted", accept, "WithNote"),
    "return_case": Command(_in("dispatched", "accepted"), "escalated", "case_returned", return_case, "Reason"),
    "progress": Command(WORKING, "in_progress", "case_progressed", progress, "Progress"),
    "mediate": Command(WORKING, "in_progress", "case_mediated", mediate, "Mediate"),
    "resolve": Command(WORKING, "resolved", "case_resolved", resolve, "Result"),
    "evaluate": Command(AWAITING_VERDICT, None, "case_evaluated", evaluate, "Evaluate"),
    "suspend": Command(ACTIVE, "suspended", "case_suspended", suspend, "Reason"),
    "resume": Command(_in("suspended"), None, "case_resumed", resume, "WithNote"),
    "request_extension": Command(HANDLING, None, "case_extension_requested", request_extension, "RequestExtension"),
    "decide_extension": Command(HANDLING, None, "case_extension_decided", decide_extension, "DecideExtension"),
    "mark_duplicate": Command(UNASSIGNED, "duplicate", "case_marked_duplicate", mark_duplicate, "MarkDuplicate"),
    "send_back": Command(UNASSIGNED, "sent_back", "case_sent_back", send_back, "Reason"),
    "flag_overdue": Command(ACTIVE, None, "case_overdue", flag_overdue, None),
    "link_meeting": Command(ACTIVE | {"reported", "suspended"}, None, "case_meeting_linked", link_meeting, None),
    "post_meeting_outcome": Command(STATES - TERMINAL, None, "case_meeting_recorded", post_meeting_outcome, None),
    "post_meeting_payment": Command(STATES - TERMINAL, None, "case_meeting_payment_recorded", post_meeting_payment,
                                    None),
}

#: Each state as people say it (the `labels` RPC).
STATE_LABELS: dict[str, str] = {
    "reported": "已登记", "escalated": "已上报", "triaged": "已研判", "dispatched": "已交办", "accepted": "已受理",
    "in_progress": "办理中", "suspended": "已挂起", "self_resolved": "已自行解决", "resolved": "已办结",
    "reopened": "重新办理", "closed": "已销号", "duplicate": "重复件", "sent_back": "已退回",
}


def allowed(state: str, command: str) -> bool:
    return state in COMMANDS[command].sources


def check(case: Mapping, command: str) -> None:
    """`InvalidTransition` naming the current state when `command` cannot run now."""
    state = case["state"]
    if not allowed(state, command):
        needed = ", ".join(sorted(COMMANDS[command].sources))
        raise InvalidTransition(f"case {case['_id']} is {state}; {command} needs one of: {needed}",
                                [{"field": "state", "reason": f"is {state}", "current_state": state}])


def decide(case: Mapping, command: str, data: Mapping, now: datetime, policy: CasePolicy) -> Step | None:
    """The step `command` makes from the case as it is; None when the case is already as the
    command would leave it (nothing to write, no event); or an error, changing nothing."""
    check(case, command)
    declared = COMMANDS[command]
    step = Step(command, case["state"], declared.target or case["state"], events=[declared.event])
    try:
        declared.decide(case, data, now, policy, step)
    except NothingToDo:
        return None
    step.changes["state"] = step.to_state
    return step

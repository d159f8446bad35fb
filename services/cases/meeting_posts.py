"""A held meeting's record and payments on the timeline of every case it is linked to.

Each posting is one journal step on one case (`post_meeting_outcome`, `post_meeting_payment`,
declared in `lifecycle.COMMANDS`), which the case itself makes idempotent (it keeps the
meetings and payments posted to it). The meeting marks each case once posted (`posted`, and
each paid share's `posted`), and every later call on the meeting (a repeated `record_meeting`
of any caller, a `record_payment`) first finishes what is not marked, so a process dying
between two cases neither loses nor doubles a posting. A case that has ended meanwhile (closed,
duplicate) takes no step: its mark says `skipped` with its state."""

import random
from collections.abc import Mapping

import eventlet

from services.cases import meetings
from services.cases.commands import act
from services.cases.exceptions import CaseChanged
from services.cases.policy import CasePolicy
from services.cases.repository import CasesStore
from shared.actor import Actor
from shared.errors import InvalidTransition

ATTEMPTS = 10  # each is up to `commands.RETRIES` writes


def check_reach(store: CasesStore, actor: Actor, meeting: Mapping) -> None:
    """`Forbidden` before anything is written when a linked case is outside the actor's reach."""
    for case_id in meetings.linked_cases(meeting):
        actor.require(store.cases.get(case_id, "meeting_id")["lineage"])


def finish(store: CasesStore, meeting: Mapping, policy: CasePolicy, clock) -> Mapping:
    """Post the record and each payment to every linked case not yet marked; the meeting after."""
    if meeting.get("state") != "held":
        return meeting
    recorder = _actor(meeting["recorded_by"])
    for case_id in _unmarked(meeting, meeting.get("posted")):
        mark = _post_once(store, recorder, case_id, "post_meeting_outcome", meetings.outcome_for_cases(meeting),
                          policy, clock)
        meeting = store.meetings.update(meeting["_id"], {f"posted.{case_id}": mark})
    for index, share in enumerate((meeting.get("cost_split") or {}).get("shares") or ()):
        if not share["paid"]:
            continue
        payer = _actor(share.get("paid_by") or meeting["recorded_by"])
        for case_id in _unmarked(meeting, share.get("posted")):
            mark = _post_once(store, payer, case_id, "post_meeting_payment", meetings.payment_for_cases(meeting, index),
                              policy, clock)
            meeting = store.meetings.update(meeting["_id"], {f"cost_split.shares.{index}.posted.{case_id}": mark})
    return meeting


def _post_once(store: CasesStore, actor: Actor, case_id: str, command: str, detail: Mapping, policy: CasePolicy,
               clock) -> dict:
    """Post, and say how: `{at}`, or `{at, skipped: state}` for a case that has ended."""
    try:
        post(store, actor, case_id, command, detail, policy, clock)
    except InvalidTransition as refused:
        return {"at": clock(), "skipped": (refused.details or [{}])[0].get("current_state")}
    return {"at": clock()}


def post(store: CasesStore, actor: Actor, case_id: str, command: str, detail: Mapping, policy: CasePolicy,
         clock) -> None:
    """One step on the case. It changes nothing another step depends on, so when other steps
    take the case at once it is tried again after a random pause rather than left unposted."""
    for attempt in range(ATTEMPTS):
        try:
            act(store, actor, case_id, command, detail, policy, clock)
            return
        except CaseChanged:
            if attempt == ATTEMPTS - 1:
                raise
            eventlet.sleep(random.uniform(0, 0.01 * (attempt + 1)))


def _unmarked(meeting: Mapping, marks: Mapping | None) -> list[str]:
    return [c for c in meetings.linked_cases(meeting) if c not in (marks or {})]


def _actor(recorded: Mapping) -> Actor:
    return Actor(recorded["who"], recorded["role"], tuple(recorded.get("jurisdiction") or ()))

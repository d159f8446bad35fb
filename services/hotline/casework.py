"""Calls owed to cases, made as the hotline service: open the ticket's case (once: cases keys it
by the ticket's reference), pass a survey's or rework order's verdict on (the case is closed or
reopened), pass the platform's decision on an extension. Each carries a `request_id` derived
from the call, so a call made again after a crash changes the case once. A call cases cannot
answer now is tried again with backoff; one cases refuses is parked with its reason."""

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from nameko.exceptions import RemoteError

from services.hotline import outbound, tickets
from services.hotline.exceptions import ChangedMeanwhile
from services.hotline.repository import HotlineStore
from services.hotline.rounds import Map, run_round
from services.hotline.settings import Settings
from services.hotline.syncing import owe_case
from shared.errors import InvalidTransition, LinliError, remote_code

log = logging.getLogger(__name__)
WAIT_FOR_CASE = timedelta(seconds=3)
REFUSALS = ("invalid", "not_found", "forbidden", "conflict", "invalid_transition")  # asking again changes nothing

Send = Callable[..., dict]  # send(method, **arguments): one cases RPC as the hotline service


def push_due(store: HotlineStore, send: Send, settings: Settings, holder: str, clock: Callable[[], datetime],
             limit: int = 200, side_by_side: Map = map, sign: outbound.Sign | None = None) -> dict[str, int]:
    """Make the calls that are due, oldest first: different tickets' side by side (`side_by_side`:
    a green pool's `imap`), one ticket's in order; once cases fails to answer, the rest wait.
    A ticket whose case is opened is then signed (`sign`: `outbound.signer`; without it, the
    signature is owed to the platform's queue)."""
    calls = store.case_calls.due(clock(), limit)
    sign = sign or outbound.owing(store, clock)
    return run_round(calls, lambda call: push_one(store, send, call, settings, holder, clock, sign),
                     lambda call, outcome: outcome == "failed", side_by_side)


def push_one(store: HotlineStore, send: Send, call: Mapping, settings: Settings, holder: str,
             clock: Callable[[], datetime], sign: outbound.Sign) -> str:
    """`done`, `waiting`, `failed`, `parked` or `busy`."""
    call = store.case_calls.take(call, holder, clock(), settings.lease)
    if call is None:
        return "busy"
    ticket = store.tickets.get(call["ticket_id"])
    if call["action"] != "report" and not ticket.get("case_id"):
        store.case_calls.postpone(call["_id"], holder, clock() + WAIT_FOR_CASE, "case")
        return "waiting"
    try:
        note = _make(store, send, call, ticket, clock, sign)
    except ChangedMeanwhile:  # the ticket kept changing: made again later (cases keys it by its request)
        store.case_calls.postpone(call["_id"], holder, clock() + outbound.WAIT_FOR_TICKET, "ticket")
        return "waiting"
    except (LinliError, RemoteError) as error:
        if remote_code(error) in REFUSALS:
            return _park(store, call, holder, f"cases refused {call['action']}: {error}", clock)
        return _failed(store, call, holder, str(error), settings, clock)
    store.case_calls.settle(call["_id"], holder, {"state": "done", "done_at": clock(), "note": note,
                                                  "lease_until": None, "attempts": call["attempts"] + 1})
    return "done"


def _make(store: HotlineStore, send: Send, call: Mapping, ticket: Mapping, clock: Callable[[], datetime],
          sign: outbound.Sign) -> str:
    request_id = f"hotline:{call['_id']}"[:100] if call["action"] != "report" else None
    if call["action"] == "report":
        case = send("report", **tickets.case_report(ticket))
        return f"case {case['case_id']}, {sign(_keep_case(store, ticket, case, clock))}"
    try:
        if call["action"] == "evaluate":
            send("evaluate", case_id=ticket["case_id"], request_id=request_id, **call["args"])
        else:
            send("decide_extension", case_id=ticket["case_id"], request_id=request_id, **call["args"])
    except (LinliError, RemoteError) as error:
        if remote_code(error) != InvalidTransition.code:
            raise
        if call["action"] == "evaluate" and not call["args"]["satisfied"] and _state_of(error) == "closed":
            raise CannotReopen("the case is closed: cases does not reopen a closed case; "
                               "staff open a new case for this rework") from None
        return f"not applied: {error}"[:500]  # the case moved on (e.g. already reopened): nothing to do
    return call["action"]


def opener(store: HotlineStore, send: Send, sign: outbound.Sign,
           clock: Callable[[], datetime]) -> Callable[[Mapping], str]:
    """`open_case(ticket)` for a ticket just taken in: its case reported to cases at once, in
    the caller's slot, and the ticket signed (`sign`); owed to the case calls' queue only when
    that cannot be done now (cases not answering or refusing, the ticket changing meanwhile),
    where it is made again (cases answers the same case for the same ticket). A process dying
    before the ticket keeps its case reads the page again from the same cursor, and a ticket
    seen again without its case owes it. Once cases has not answered, the tickets after it are
    owed without asking (the queue waits for cases with backoff), not each kept waiting."""
    cases_silent = []

    def open_case(ticket: Mapping) -> str:
        if not cases_silent:
            try:
                case = send("report", **tickets.case_report(ticket))
                return sign(_keep_case(store, ticket, case, clock))
            except (LinliError, RemoteError) as error:
                if remote_code(error) not in REFUSALS:
                    cases_silent.append(str(error))
                log.info("hotline: the case of %s owed: %s", ticket["_id"], error)
        owe_case(store, ticket["_id"], clock())
        return "owed"

    return open_case


class CannotReopen(InvalidTransition):
    """A rework order for a case already closed: parked for staff to see."""


def _state_of(error: BaseException) -> str | None:
    details = getattr(error, "details", None)
    if not details and isinstance(error, RemoteError):
        try:
            details = json.loads(error.value).get("details")
        except (TypeError, ValueError, AttributeError):
            details = None
    return (details or [{}])[0].get("current_state")


def _keep_case(store: HotlineStore, read: Mapping, case: Mapping, clock: Callable[[], datetime]) -> Mapping:
    """The ticket (`read`: as read before the call) keeps its case's id, and lies where the
    case lies (its lineage); answers the ticket as it is then."""
    case_id = case["case_id"]

    def decide(ticket: dict) -> tuple[dict, list[dict]] | None:
        if ticket.get("case_id") == case_id:
            return None
        return {"case_id": case_id, "lineage": list(case.get("lineage") or []),
                "_history": {"at": clock(), "action": "case_opened", "case_id": case_id}}, []

    return store.tickets.revise(read["_id"], decide, read) or read


def _failed(store: HotlineStore, call: Mapping, holder: str, error: str, settings: Settings,
            clock: Callable[[], datetime]) -> str:
    attempts = call["attempts"] + 1
    if attempts >= settings.retry.attempts:
        _park(store, call, holder, f"gave up after {attempts} tries: {error}", clock)
        return "failed"
    now = clock()
    store.case_calls.settle(call["_id"], holder, {"state": "queued", "attempts": attempts, "lease_until": None,
                                                  "due_at": now + settings.retry.wait(attempts),
                                                  "last_error": error[:500]},
                            {"at": now, "outcome": "failed", "error": error[:300]})
    return "failed"


def _park(store: HotlineStore, call: Mapping, holder: str, reason: str, clock: Callable[[], datetime]) -> str:
    now = clock()
    store.case_calls.settle(call["_id"], holder, {"state": "parked", "parked_reason": reason[:1000], "parked_at": now,
                                                  "lease_until": None},
                            {"at": now, "outcome": "parked", "error": reason[:300]})
    log.error("hotline: case call %s parked: %s", call["_id"], reason)
    return "parked"

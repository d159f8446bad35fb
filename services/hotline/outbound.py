"""Calls to the platform (签收 sign, 办结回复 reply, 退单 return, 延期 extension), each sent until the
platform takes it, once in effect:

- a call is held by one sender at a time (a lease), carries the same key on every try, and is
  marked done only after the ticket recorded it (a sender dying between the two sends it again
  with that key, and the ticket records it once, by the call's id);
- a platform that does not answer is left alone for a growing, jittered pause, and each call
  counts its failed tries; after `Settings.retry.attempts` the call is parked with the reason, visible
  and replayable, never tried forever;
- a call the platform refuses is parked at once with the platform's reason;
- nothing but a sign or a return goes before the ticket is signed."""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from services.hotline import tickets
from services.hotline.exceptions import ChangedMeanwhile
from services.hotline.platform import Call, ManualEntry, Platform, PlatformDown, PlatformRefused
from services.hotline.repository import HotlineStore
from services.hotline.rounds import Map, run_round
from services.hotline.settings import Settings
from services.hotline.syncing import ticket_event

log = logging.getLogger(__name__)
METHODS = {"sign": "sign", "reply": "reply", "return": "return_ticket", "extend": "extend"}
WAIT_FOR_SIGN = timedelta(seconds=3)
WAIT_FOR_TICKET = timedelta(seconds=5)  # a ticket that kept changing: a dead writer's step is being finished


def _call(ticket: Mapping, action: str, cause: str, now: datetime, **args) -> dict:
    return {"_id": tickets.call_id(ticket["_id"], action, cause), "ticket_id": ticket["_id"],
            "platform": ticket["platform"], "ticket_no": ticket["ticket_no"], "action": action, "at": now,
            "attempts": 0, **args}


def owe(store: HotlineStore, ticket: Mapping, action: str, cause: str, now: datetime, **args) -> dict:
    """Queue one call for the ticket (its `_id`, `platform` and `ticket_no` are what is read);
    the same `cause` queues it once."""
    call = _call(ticket, action, cause, now, **args)
    store.tickets.note_call(ticket["_id"], call["_id"])  # first: a call the ticket does not list is never made
    return store.calls.owe(call, now)[0]


Sign = Callable[[Mapping], str]  # sign(ticket): "signed" or "owed"


def owing(store: HotlineStore, clock: Callable[[], datetime]) -> Sign:
    """`sign(ticket)` that owes the signature to the queue, to be sent with the other calls."""

    def sign(ticket: Mapping) -> str:
        owe(store, ticket, "sign", "received", clock())
        return "owed"

    return sign


def signer(store: HotlineStore, adapters: Mapping[str, Platform], settings: Settings, actor: Mapping,
           clock: Callable[[], datetime]) -> Sign:
    """`sign(ticket)` for a ticket whose case was just opened: the signature made at once, in the
    caller's slot, as the call owed for it would be made (the same key), and owed (queued) only
    when the platform does not take it now, or is resting after failures (read once here, for
    a round). The caller dying before it is recorded makes it again, as the queue would: the
    page that took the ticket in is read again, or the case call that made it is made again,
    and the platform takes the key once."""
    now, owed = clock(), owing(store, clock)
    down = {name for name, state in store.platforms.all(list(adapters)).items()
            if state.get("calls_down_until") and state["calls_down_until"] > now}

    def sign(ticket: Mapping) -> str:
        if ticket.get("signed_at") is not None:
            return "signed"
        if ticket["platform"] in down or ticket["platform"] not in adapters:
            return owed(ticket)
        call = _call(ticket, "sign", "received", clock())
        try:
            answer = adapters[ticket["platform"]].sign(_as_call(call))
        except (ManualEntry, PlatformDown, PlatformRefused) as error:  # the queue tries, waits, parks as for any call
            if isinstance(error, PlatformDown):
                down.add(ticket["platform"])  # the signs after it are owed without asking
            return owed(ticket)
        _record(store, call, dict(answer or {}), settings, actor, clock, ticket)
        return "signed"

    return sign


def send_due(store: HotlineStore, adapters: Mapping[str, Platform], settings: Settings, actor: Mapping, holder: str,
             clock: Callable[[], datetime], limit: int = 200, side_by_side: Map = map) -> dict[str, int]:
    """Send the calls that are due, oldest first, skipping platforms that are down; calls of
    different tickets side by side (`side_by_side`: a green pool's `imap`), one ticket's in order."""
    now = clock()
    states = store.platforms.all(list(adapters))
    down = {name for name, state in states.items() if state.get("calls_down_until") and state["calls_down_until"] > now}
    due = [c for c in store.calls.due(now, limit) if c["platform"] not in down and c["platform"] in adapters]
    sent: set[str] = set()

    def send(call: Mapping) -> str:
        outcome = send_one(store, adapters[call["platform"]], call, settings, actor, holder, clock)
        if outcome == "sent":
            sent.add(call["platform"])
        return outcome

    counts = run_round(due, send, lambda call, outcome: outcome == "down", side_by_side)
    for name in sent:
        if states[name].get("call_failures"):  # taking calls again after failures: its pause is over
            store.platforms.mark(name, {"calls_down_until": None, "call_failures": 0})
    return counts


def send_one(store: HotlineStore, adapter: Platform, call: Mapping, settings: Settings, actor: Mapping, holder: str,
             clock: Callable[[], datetime]) -> str:
    """`sent`, `down`, `parked`, `manual`, `waiting` or `busy` (another sender holds it)."""
    call = store.calls.take(call, holder, clock(), settings.lease)
    if call is None:
        return "busy"
    ticket = store.tickets.get(call["ticket_id"])
    if call["action"] not in ("sign", "return") and ticket.get("signed_at") is None:
        store.calls.postpone(call["_id"], holder, clock() + WAIT_FOR_SIGN, "sign")
        return "waiting"
    if ticket["state"] == "returned" and call["action"] != "return":
        return park(store, call, holder, "the ticket was returned to the platform", actor, clock)
    try:
        answer = getattr(adapter, METHODS[call["action"]])(_as_call(call))
    except ManualEntry as entry:
        store.calls.settle(call["_id"], holder, {"state": "manual", "lease_until": None},
                           {"at": clock(), "outcome": "manual", "note": str(entry)[:300]})
        return "manual"
    except PlatformDown as error:
        return _failed(store, call, holder, str(error), settings, actor, clock)
    except PlatformRefused as error:
        return park(store, call, holder, f"refused by the platform: {error}", actor, clock)
    answer = dict(answer or {})
    try:
        _record(store, call, answer, settings, actor, clock, ticket)
    except ChangedMeanwhile:  # taken by the platform; made again later with its key, recorded then
        store.calls.postpone(call["_id"], holder, clock() + WAIT_FOR_TICKET, "ticket")
        return "waiting"
    store.calls.settle(call["_id"], holder, {"state": "done", "done_at": clock(), "answer": answer,
                                             "lease_until": None, "attempts": call["attempts"] + 1},
                       {"at": clock(), "outcome": "sent"})
    if call["action"] == "extend":
        _owe_decision(store, call, answer, clock)
    return "sent"


def _as_call(call: Mapping) -> Call:
    return Call(key=call["_id"], ticket_no=call["ticket_no"], at=call["at"], reason=call.get("reason"),
                result=call.get("result"), working_days=call.get("working_days"))


def confirm_entered(store: HotlineStore, call: Mapping, answer: Mapping, settings: Settings, actor: Mapping,
                    clock: Callable[[], datetime]) -> None:
    """A clerk entered a call on a platform without an API: the ticket records it as if the
    platform had taken it (an extension with the platform's answer)."""
    _record(store, call, answer, settings, actor, clock)
    store.calls.settle(call["_id"], None, {"state": "done", "done_at": clock(), "answer": dict(answer),
                                           "entered_by_hand": True}, {"at": clock(), "outcome": "entered"})
    if call["action"] == "extend":
        _owe_decision(store, call, answer, clock)


def _owe_decision(store: HotlineStore, call: Mapping, answer: Mapping, clock: Callable[[], datetime]) -> None:
    """The platform's answer to an extension decides it on the case."""
    granted = bool(answer.get("granted"))
    note = str(answer.get("reason") or ("12345同意延期" if granted else "12345未同意延期"))[:2000]
    store.case_calls.owe({"_id": f"{call['ticket_id']}:decide:{call['_id']}"[:300], "ticket_id": call["ticket_id"],
                          "action": "decide_extension", "args": {"granted": granted, "note": note}}, clock())


def _record(store: HotlineStore, call: Mapping, answer: Mapping, settings: Settings, actor: Mapping,
            clock: Callable[[], datetime], read: Mapping | None = None) -> None:
    """The ticket records the call the platform took, once (by the call's id); `read`: the
    ticket as read before the call."""
    platform = settings.platform(call["platform"])
    if call["action"] == "extend" and answer.get("deadline"):
        answer = {**answer, "deadline_at": tickets.moment(answer["deadline"])}

    def decide(ticket: dict) -> tuple[dict, list[dict]] | None:
        if any(entry.get("call_id") == call["_id"] for entry in ticket.get("history", [])):
            return None
        changes = tickets.after_call(ticket, call["action"], call, answer, platform.limits, settings.calendar, clock())
        if call["action"] != "reply":
            return changes, []
        return changes, [ticket_event("ticket_replied", {**ticket, **changes}, actor,
                                      {"call_id": call["_id"], "result": call.get("result"),
                                       "replies": len(changes["replies"])})]

    store.tickets.revise(call["ticket_id"], decide, read)


def _failed(store: HotlineStore, call: Mapping, holder: str, error: str, settings: Settings, actor: Mapping,
            clock: Callable[[], datetime]) -> str:
    attempts = call["attempts"] + 1
    if attempts >= settings.retry.attempts:
        park(store, call, holder, f"gave up after {attempts} tries: {error}", actor, clock, attempts)
        return "down"
    wait = settings.retry.wait(attempts)
    now = clock()
    store.calls.settle(call["_id"], holder, {"state": "queued", "attempts": attempts, "due_at": now + wait,
                                             "lease_until": None, "last_error": error[:500]},
                       {"at": now, "outcome": "failed", "error": error[:300]})
    state = store.platforms.state(call["platform"])
    failures = int(state.get("call_failures") or 0) + 1
    if failures == 1 or failures % 20 == 0:
        log.warning("hotline: %s did not take %s (%d failures in a row): %s", call["platform"], call["_id"],
                    failures, error)
    store.platforms.mark(call["platform"], {"calls_down_until": now + settings.retry.wait(min(failures, 6)),
                                            "call_failures": failures, "last_error": error[:500],
                                            "last_error_at": now})
    return "down"


def park(store: HotlineStore, call: Mapping, holder: str | None, reason: str, actor: Mapping,
         clock: Callable[[], datetime], attempts: int | None = None) -> str:
    """Park the call with the reason (`parked_reason`: a return or an extension keeps its own
    `reason` for the platform), and say so on the ticket (`ticket_parked`) first: a process
    dying between the two parks the call again later, and the ticket says it once."""
    now, logged = clock(), len(call.get("log") or [])  # `logged`: which parking of the call this is

    def decide(ticket: dict) -> tuple[dict, list[dict]] | None:
        if any(entry.get("parked_call") == call["_id"] and entry.get("logged") == logged
               for entry in ticket.get("history", [])):
            return None
        entry = {"at": now, "action": "parked", "parked_call": call["_id"], "reason": reason[:300], "logged": logged}
        return {"_history": entry}, [ticket_event("ticket_parked", ticket, actor, {
            "kind": "call", "parked_id": call["_id"], "action": call["action"], "reason": reason[:1000]})]

    try:
        store.tickets.revise(call["ticket_id"], decide)
    except ChangedMeanwhile:
        store.calls.postpone(call["_id"], holder, now + WAIT_FOR_TICKET, "ticket")
        return "waiting"
    store.calls.settle(call["_id"], holder, {"state": "parked", "parked_reason": reason[:1000], "parked_at": now,
                                             "lease_until": None, "attempts": attempts or call["attempts"]},
                       {"at": now, "outcome": "parked", "error": reason[:300]})
    log.error("hotline: call %s parked: %s", call["_id"], reason)
    return "parked"

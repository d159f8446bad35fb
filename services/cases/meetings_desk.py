"""Deliberation meetings (议事会): scheduled with invitees, agenda items and linked cases,
recorded with attendance, votes, minutes and a cost split, and payments per household; the
record and each payment reach every linked case's timeline (`meeting_posts`)."""

from collections.abc import Mapping
from datetime import datetime

from services.cases import lifecycle, meeting_posts, meetings
from services.cases.exceptions import AlreadyPaid
from services.cases.policy import CasePolicy
from services.cases.repository import CasesStore
from services.cases.roster import Roster
from shared.actor import Actor
from shared.clock import plain
from shared.errors import InvalidTransition, field_error
from shared.ids import derived_id, new_id
from shared.requests import applied


def schedule(store: CasesStore, roster: Roster, actor: Actor, data: Mapping, policy: CasePolicy, clock) -> dict:
    """A meeting with its linked cases. With a `request_id` the meeting's id derives from it and
    each link carries it, so a repeat whose first answer was lost finishes and returns that
    meeting."""
    request_id = data.get("request_id")
    meeting_id = derived_id("mtg", actor.key, request_id) if request_id else new_id("mtg")
    node = roster.unit(data["node_id"], "node_id")
    actor.require([*node["ancestors"], node["unit_id"]])
    case_ids = list(dict.fromkeys(c for item in data["agenda"] for c in item["case_ids"]))
    earlier = store.meetings.find(meeting_id) if request_id else None
    for case_id in case_ids:  # every linked case checked before anything is written
        case = store.cases.get(case_id, "agenda.case_ids")
        actor.require(case["lineage"])
        if not applied(case.get("timeline"), request_id, actor.who):
            lifecycle.check(case, "link_meeting")
    meeting = earlier or _new_meeting(meeting_id, node, data, actor, clock())
    if earlier is None:
        meeting = store.meetings.insert_new(meeting)
    for case_id in case_ids:  # a link changes nothing other steps depend on: tried again when they collide
        meeting_posts.post(store, actor, case_id, "link_meeting",
                           {"meeting_id": meeting["_id"], "title": data["title"], "request_id": request_id},
                           policy, clock)
    return meeting


def _new_meeting(meeting_id: str, node: Mapping, data: Mapping, actor: Actor, now: datetime) -> dict:
    return {"_id": meeting_id, "state": "scheduled", "node_id": node["unit_id"], "node_path": node["path"],
            "lineage": [*node["ancestors"], node["unit_id"]], "community_id": node["community_id"],
            "kind": data["kind"], "title": data["title"], "scheduled_at": data["scheduled_at"],
            "invitees": [dict(i) for i in data.get("invitees") or ()],
            "agenda": [dict(i) for i in data["agenda"]], "created_by": actor.as_dict(), "created_at": now}


def record(store: CasesStore, actor: Actor, data: Mapping, policy: CasePolicy, clock) -> dict:
    """Scheduled → held, once: of callers recording one meeting at once exactly one writes its
    record, the others get `InvalidTransition` naming `held`. Every call on a held meeting
    first finishes posting its record to the linked cases."""
    meeting = store.meetings.get(data["meeting_id"])
    actor.require(meeting["lineage"])
    if meeting["state"] != "scheduled":
        return _held_already(store, actor, meeting, data, policy, clock)
    change = {**meetings.record_of(meeting, data, clock()), "recorded_by": actor.as_dict(),
              "recorded_request": data.get("request_id")}
    meeting_posts.check_reach(store, actor, meeting)
    held = store.meetings.update(meeting["_id"], change, when={"state": "scheduled"})
    if held is None:
        return _held_already(store, actor, store.meetings.get(meeting["_id"]), data, policy, clock)
    return meeting_posts.finish(store, held, policy, clock)


def _held_already(store: CasesStore, actor: Actor, meeting: Mapping, data: Mapping, policy: CasePolicy,
                  clock) -> Mapping:
    """A repeat of the request that recorded the meeting gets it, posted to every linked case;
    any other caller `InvalidTransition` naming its state, once the postings are finished."""
    meeting = meeting_posts.finish(store, meeting, policy, clock)
    if _recorded_by(meeting, data.get("request_id"), actor):
        return meeting
    raise _not_scheduled(meeting)


def _recorded_by(meeting: Mapping, request_id: str | None, actor: Actor) -> bool:
    """Whether the meeting's record is this very request's (a repeat of it)."""
    return bool(request_id) and meeting.get("recorded_request") == request_id and \
        (meeting.get("recorded_by") or {}).get("who") == actor.who


def _payment_request(request_id: str | None, actor: Actor) -> str | None:
    return f"{actor.who}:{request_id}" if request_id else None


def _not_scheduled(meeting: Mapping) -> InvalidTransition:
    return InvalidTransition(f"meeting {meeting['_id']} is {meeting['state']}",
                             [{"field": "meeting_id", "reason": f"is {meeting['state']}",
                               "current_state": meeting["state"]}])


def record_payment(store: CasesStore, actor: Actor, data: Mapping, policy: CasePolicy, clock) -> dict:
    """A household pays its share, once: paying a share already paid is `AlreadyPaid` naming
    `household`, also for all but one of callers paying it at once. The payment reaches every
    linked case's timeline, after anything of the meeting not yet posted."""
    meeting = store.meetings.get(data["meeting_id"])
    actor.require(meeting["lineage"])
    meeting = meeting_posts.finish(store, meeting, policy, clock)
    try:
        paid = _pay(store, actor, meeting, data, clock())
    except AlreadyPaid:  # whoever paid it may have died before posting it
        meeting_posts.finish(store, store.meetings.get(meeting["_id"]), policy, clock)
        raise
    return meeting_posts.finish(store, paid, policy, clock)


def _pay(store: CasesStore, actor: Actor, meeting: Mapping, data: Mapping, now: datetime) -> Mapping:
    shares = (meeting.get("cost_split") or {}).get("shares") or []
    index = next((i for i, s in enumerate(shares) if s["household"] == data["household"]), None)
    if index is None:
        raise field_error("household", "has no share in this meeting's cost split")
    prefix, request = f"cost_split.shares.{index}", _payment_request(data.get("request_id"), actor)
    if not shares[index]["paid"]:
        meeting_posts.check_reach(store, actor, meeting)
    paid = None if shares[index]["paid"] else store.meetings.update(
        meeting["_id"], {f"{prefix}.paid": True, f"{prefix}.paid_at": now, f"{prefix}.paid_request": request,
                         f"{prefix}.paid_by": actor.as_dict(), f"{prefix}.posted": {},
                         f"{prefix}.keys_handed_over": data["keys_handed_over"]}, when={f"{prefix}.paid": False})
    if paid is None:
        meeting = store.meetings.get(meeting["_id"])
        share = meeting["cost_split"]["shares"][index]
        if request is not None and share.get("paid_request") == request:
            return meeting  # a repeat of the payment that was recorded
        raise AlreadyPaid(f"{data['household']} has paid its share already",
                          [{"field": "household", "reason": "paid already", "paid_at": plain(share.get("paid_at"))}])
    return paid

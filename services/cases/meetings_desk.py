"""Deliberation meetings (议事会): scheduled with agenda items and linked cases, recorded
with attendance, votes, minutes and a cost split, and payments per household."""

import random
from collections.abc import Mapping
from datetime import datetime

import eventlet

from services.cases import lifecycle, meetings
from services.cases.commands import act
from services.cases.exceptions import AlreadyPaid, CaseChanged
from services.cases.policy import CasePolicy
from services.cases.repository import CasesStore
from services.cases.roster import Roster
from shared.actor import Actor
from shared.clock import plain
from shared.errors import InvalidTransition, field_error
from shared.ids import derived_id, new_id
from shared.requests import applied

LINK_ATTEMPTS = 10  # each is up to `commands.RETRIES` writes


def schedule(store: CasesStore, roster: Roster, actor: Actor, data: Mapping, policy: CasePolicy, clock) -> dict:
    """A meeting with its linked cases. With a `request_id` the meeting's id derives from it and
    each link carries it, so a repeat whose first answer was lost finishes and returns that
    meeting."""
    request_id = data.get("request_id")
    meeting_id = derived_id("mtg", actor.who, request_id) if request_id else new_id("mtg")
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
    for case_id in case_ids:
        _link(store, actor, case_id, {"meeting_id": meeting["_id"], "title": data["title"], "request_id": request_id},
              policy, clock)
    return meeting


def _new_meeting(meeting_id: str, node: Mapping, data: Mapping, actor: Actor, now: datetime) -> dict:
    return {"_id": meeting_id, "state": "scheduled", "node_id": node["unit_id"], "node_path": node["path"],
            "lineage": [*node["ancestors"], node["unit_id"]], "community_id": node["community_id"],
            "kind": data["kind"], "title": data["title"], "scheduled_at": data["scheduled_at"],
            "agenda": [dict(i) for i in data["agenda"]], "created_by": actor.as_dict(), "created_at": now}


def _link(store: CasesStore, actor: Actor, case_id: str, link: Mapping, policy: CasePolicy, clock) -> None:
    """Link the case to the meeting. A link changes nothing another step depends on, so when
    many steps take the case at once it is simply tried again, after a random pause that
    spreads the contenders out, rather than leaving a scheduled meeting half linked."""
    for attempt in range(LINK_ATTEMPTS):
        try:
            act(store, actor, case_id, "link_meeting", link, policy, clock)
            return
        except CaseChanged:
            if attempt == LINK_ATTEMPTS - 1:
                raise
            eventlet.sleep(random.uniform(0, 0.01 * (attempt + 1)))


def record(store: CasesStore, actor: Actor, data: Mapping, now: datetime) -> dict:
    """Scheduled → held, once: of callers recording one meeting at once exactly one writes its
    record, the others get `InvalidTransition` naming `held`."""
    meeting = store.meetings.get(data["meeting_id"])
    actor.require(meeting["lineage"])
    if _recorded_by(meeting, data.get("request_id"), actor):
        return meeting
    if meeting["state"] != "scheduled":
        raise _not_scheduled(meeting)
    attending = len(data["attendees"])
    votes = {v["item"]: v for v in data["votes"]}
    if any(i >= len(meeting["agenda"]) for i in votes):
        raise field_error("votes", "names an agenda item that does not exist")
    items = [meetings.decide_item({**item, "votes_for": votes.get(i, {}).get("votes_for", 0),
                                   "votes_against": votes.get(i, {}).get("votes_against", 0),
                                   "abstain": votes.get(i, {}).get("abstain", 0)}, attending, data["eligible"])
             for i, item in enumerate(meeting["agenda"])]
    change = {"state": "held", "eligible": data["eligible"], "attendees": [dict(a) for a in data["attendees"]],
              "quorum": meetings.has_quorum(attending, data["eligible"]), "agenda": items,
              "minutes": data["minutes"], "decision": data["decision"], "held_at": now, "recorded_by": actor.as_dict(),
              "recorded_request": data.get("request_id")}
    split = data.get("cost_split")
    if split:
        if split["item"] >= len(items):
            raise field_error("cost_split.item", "names an agenda item that does not exist")
        if not items[split["item"]]["adopted"]:
            raise field_error("cost_split.item", "the item was not adopted, so nobody pays")
        change["cost_split"] = {"item": split["item"], "total_fen": split["total_fen"],
                                "shares": meetings.split_cost(split["total_fen"], split["households"])}
    held = store.meetings.update(meeting["_id"], change, when={"state": "scheduled"})
    if held is None:
        meeting = store.meetings.get(meeting["_id"])
        if _recorded_by(meeting, data.get("request_id"), actor):
            return meeting
        raise _not_scheduled(meeting)
    return held


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


def record_payment(store: CasesStore, actor: Actor, data: Mapping, now: datetime) -> dict:
    """A household pays its share, once: paying a share already paid is `AlreadyPaid` naming
    `household`, also for all but one of callers paying it at once."""
    meeting = store.meetings.get(data["meeting_id"])
    actor.require(meeting["lineage"])
    shares = (meeting.get("cost_split") or {}).get("shares") or []
    index = next((i for i, s in enumerate(shares) if s["household"] == data["household"]), None)
    if index is None:
        raise field_error("household", "has no share in this meeting's cost split")
    prefix, request = f"cost_split.shares.{index}", _payment_request(data.get("request_id"), actor)
    paid = None if shares[index]["paid"] else store.meetings.update(
        meeting["_id"], {f"{prefix}.paid": True, f"{prefix}.paid_at": now, f"{prefix}.paid_request": request,
                         f"{prefix}.keys_handed_over": data["keys_handed_over"]}, when={f"{prefix}.paid": False})
    if paid is None:
        meeting = store.meetings.get(meeting["_id"])
        share = meeting["cost_split"]["shares"][index]
        if request is not None and share.get("paid_request") == request:
            return meeting  # a repeat of the payment that was recorded
        raise AlreadyPaid(f"{data['household']} has paid its share already",
                          [{"field": "household", "reason": "paid already", "paid_at": plain(share.get("paid_at"))}])
    return paid

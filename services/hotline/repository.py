"""Hotline's storage: one class per collection, read by `_id` or a few indexed fields.

- `tickets`: one per platform and ticket number (`_id` `<platform>:<ticket_no>`), written through
  the journal (`shared.journal`) at its next version, so `ticket_received`, `ticket_replied` and
  `ticket_parked` are published exactly when the change is written;
- `calls`: the calls owed to the platform (sign, reply, return, extension), each `_id` derived
  from what caused it, so a cause seen twice queues one call;
- `case_calls`: the calls owed to cases (open the ticket's case, pass on a verdict, an
  extension's decision), the same way;
- `records`: what a platform sent that could not be used, parked with the reason;
- `platforms`: per platform the pull's cursor, lease and outage state."""

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import eventlet
from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from services.hotline.exceptions import ChangedMeanwhile, ParkedNotFound, TicketNotFound
from shared.audit import PiiReads
from shared.clock import utcnow
from shared.journal import Journal
from shared.requests import RequestLog
from shared.resilience import backoff
from shared.writes import insert_or_get, upsert_retrying

MAX_TRIES = 12  # writers of one ticket at once: each decides again on the ticket as it is now


def pause(seconds: float) -> None:
    eventlet.sleep(seconds)


def tries(count: int = MAX_TRIES) -> Iterator[int]:
    """Tries at writing a document other writers change too, with a short growing pause between
    two (about 3.5 s in all): a writer that died in the middle of a step holds the version it
    took until the journal's sweep finishes the step, and a retry at once would only meet it
    again."""
    waits = backoff(0.02, 0.5)
    for n in range(count):
        if n:
            pause(next(waits))
        yield n


def _split(changes: Mapping[str, Any]) -> tuple[dict, list]:
    """A change as tickets.py writes it: fields to set, and `_history` entries to add."""
    history = changes.get("_history")
    fields = {k: v for k, v in changes.items() if k != "_history"}
    return fields, ([history] if isinstance(history, dict) else list(history or []))


class Tickets:
    def __init__(self, collection: Collection, journal: Journal):
        self.coll = collection
        self.journal = journal

    def find(self, ticket_id: str) -> dict | None:
        return self.coll.find_one({"_id": ticket_id})

    def get(self, ticket_id: str) -> dict:
        ticket = self.find(ticket_id)
        if ticket is None:
            raise TicketNotFound(f"no ticket {ticket_id}", [{"field": "ticket_id", "reason": "not found"}])
        return ticket

    def create(self, doc: dict, events: list[dict]) -> dict:
        """Write a ticket first seen; `ChangedMeanwhile` when another writer made it first."""
        doc = {**doc, "version": 1}
        self.journal.commit({"collection": self.coll.name, "doc_id": doc["_id"], "version": 1, "create": doc,
                             "events": list(events)})
        return doc

    def change(self, ticket: Mapping, changes: Mapping[str, Any], events: list[dict] = ()) -> dict:
        """Write the ticket's next version; `ChangedMeanwhile` when another writer took it."""
        fields, history = _split(changes)
        update: dict = {"$set": {**fields, "updated_at": utcnow()}}
        if history:
            update["$push"] = {"history": {"$each": history}}
        self.journal.commit({"collection": self.coll.name, "doc_id": ticket["_id"], "version": ticket["version"] + 1,
                             "update": update, "events": list(events)})
        return {**ticket, **fields, "version": ticket["version"] + 1,
                "history": [*ticket.get("history", []), *history]}

    def revise(self, ticket_id: str, decide: Callable[[dict], tuple[Mapping, list[dict]] | None],
               read: Mapping | None = None) -> dict | None:
        """Write what `decide(ticket)` answers (the changes and their events; None: nothing to
        write) on the ticket as it is now (first as `read`, when the caller has just read it),
        deciding again when another writer took the version first. Answers the ticket written
        (None when nothing was); `ChangedMeanwhile` when the ticket kept changing: nothing was
        written, and the caller tries again later."""
        for n in tries():
            ticket = dict(read) if n == 0 and read is not None else self.get(ticket_id)
            decided = decide(ticket)
            if decided is None:
                return None
            changes, events = decided
            try:
                return self.change(ticket, changes, events)
            except ChangedMeanwhile:
                continue
        raise ChangedMeanwhile(f"ticket {ticket_id} kept changing", [{"field": "ticket_id", "reason": "busy"}])

    def note_call(self, ticket_id: str, call_id: str) -> None:
        """Remember a call owed for the ticket (a path the journal never writes: no new version)."""
        self.coll.update_one({"_id": ticket_id}, {"$addToSet": {"call_ids": call_id}})

    def listed(self, query: Mapping, limit: int, offset: int) -> tuple[int, list[dict]]:
        total = self.coll.count_documents(dict(query))
        found = self.coll.find(dict(query)).sort([("received_at", -1), ("_id", 1)]).skip(offset).limit(limit)
        return total, list(found)

    def received_between(self, query: Mapping, start: datetime, end: datetime) -> list[dict]:
        return list(self.coll.find({**query, "received_at": {"$gte": start, "$lt": end}}))

    def ensure_indexes(self) -> None:
        for key in ("platform", "community_id", "state", "received_at", "case_id"):
            self.coll.create_index([(key, ASCENDING)])


class Queue:
    """Calls owed to someone else: queued until `due_at`; one sender holds a call (`sending`)
    until `lease_until`; then `done`, back to `queued` (tried again later), `parked` (with the
    reason) or `manual` (a clerk enters it by hand).

    The calls are kept for history; the senders scan only `hints`, one small document per call
    still to make (its `_id` the call's, `due_at` when to look at it), written before the call
    and dropped once the call is settled for good. A hint whose call is not there is the trace of
    a writer that died between the two, dropped once `ORPHAN_AFTER` old (a younger one may be a
    writer about to insert its call)."""

    ORPHAN_AFTER = timedelta(minutes=5)

    def __init__(self, collection: Collection, hints: Collection):
        self.coll = collection
        self.hints = hints

    def owe(self, doc: Mapping[str, Any], now: datetime) -> tuple[dict, bool]:
        """Queue a call once: a second `owe` of the same `_id` changes nothing. Its hint goes
        first; one written for a call that was there already is dropped by the next scan."""
        upsert_retrying(self.hints, doc["_id"], {"$setOnInsert": {"due_at": now, "since": now}})
        return insert_or_get(self.coll, {"state": "queued", "attempts": 0, "due_at": now, "created_at": now,
                                         "log": [], **doc})

    def find(self, call_id: str) -> dict | None:
        return self.coll.find_one({"_id": call_id})

    def due(self, now: datetime, limit: int = 200) -> list[dict]:
        """The calls to make now, oldest first; hints of calls settled meanwhile are dropped."""
        hints = list(self.hints.find({"due_at": {"$lte": now}}).sort([("due_at", ASCENDING)]).limit(limit))
        found = {c["_id"]: c for c in self.coll.find({"_id": {"$in": [h["_id"] for h in hints]}})} if hints else {}
        calls = []
        for hint in hints:
            call = found.get(hint["_id"])
            if call is None:
                if hint.get("since", now) <= now - self.ORPHAN_AFTER:
                    self.hints.delete_one({"_id": hint["_id"], "due_at": hint["due_at"]})
            elif call["state"] not in ("queued", "sending"):
                self.hints.delete_one({"_id": hint["_id"], "due_at": hint["due_at"]})
            elif call["state"] == "queued" or call.get("lease_until") is None or call["lease_until"] <= now:
                calls.append(call)
        return sorted(calls, key=lambda c: (c["created_at"], c["_id"]))

    def take(self, call: Mapping, holder: str, now: datetime, lease: timedelta) -> dict | None:
        """The call, held by `holder`, when nobody else holds it; None otherwise. Its hint stays
        due: a scan passes over a held call until its lease runs out (a holder that died)."""
        free = {"$or": [{"state": "queued"}, {"state": "sending", "lease_until": {"$lte": now}}]}
        return self.coll.find_one_and_update({"_id": call["_id"], **free},
                                             {"$set": {"state": "sending", "holder": holder,
                                                       "lease_until": now + lease}},
                                             return_document=ReturnDocument.AFTER)

    def settle(self, call_id: str, holder: str | None, change: Mapping[str, Any], entry: Mapping | None = None) -> bool:
        """Write how a try went, while `holder` still holds the call (any holder when None);
        its hint follows: due again at the new `due_at` while queued, dropped otherwise."""
        where = {"_id": call_id, **({"holder": holder} if holder else {})}
        update: dict = {"$set": {**change, "updated_at": utcnow()}}
        if entry:
            update["$push"] = {"log": dict(entry)}
        written = self.coll.update_one(where, update).matched_count == 1
        if written and change.get("state") == "queued":
            upsert_retrying(self.hints, call_id, {"$set": {"due_at": change.get("due_at") or utcnow()},
                                                  "$setOnInsert": {"since": utcnow()}})
        elif written and change.get("state") not in (None, "sending"):
            self.hints.delete_one({"_id": call_id})
        return written

    def postpone(self, call_id: str, holder: str, due_at: datetime, why: str) -> None:
        """Not tried now (waiting for something else): no attempt counted."""
        self.settle(call_id, holder, {"state": "queued", "due_at": due_at, "waiting_for": why, "lease_until": None})

    def of_ticket(self, ticket: Mapping) -> list[dict]:
        """A ticket's calls, read by their ids (`call_ids` on the ticket), oldest first."""
        found = [self.find(call_id) for call_id in ticket.get("call_ids") or []]
        return sorted((c for c in found if c is not None), key=lambda c: (c["created_at"], c["_id"]))

    def listed(self, query: Mapping, limit: int) -> list[dict]:
        return list(self.coll.find(dict(query)).sort([("created_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    def count_by_state(self, query: Mapping | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        grouped = [{"$match": dict(query or {})}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}]
        for row in self.coll.aggregate(grouped):
            counts[row["_id"]] = row["n"]
        return counts

    def ensure_indexes(self) -> None:
        for key in ("state", "ticket_id", "platform"):
            self.coll.create_index([(key, ASCENDING)])
        self.hints.create_index([("due_at", ASCENDING)])


class Records:
    """Records a platform sent that could not be used: parked with the reason, once per record."""

    def __init__(self, collection: Collection, journal: Journal):
        self.coll = collection
        self.journal = journal

    def park(self, doc: dict, events: list[dict]) -> bool:
        """Park a record once; False when it is parked already."""
        if self.coll.find_one({"_id": doc["_id"]}, {"_id": 1}) is not None:
            return False
        try:
            self.journal.commit({"collection": self.coll.name, "doc_id": doc["_id"], "version": 1,
                                 "create": {**doc, "version": 1}, "events": list(events)})
        except ChangedMeanwhile:
            return False
        return True

    def get(self, parked_id: str) -> dict:
        doc = self.coll.find_one({"_id": parked_id})
        if doc is None:
            raise ParkedNotFound(f"nothing parked as {parked_id}", [{"field": "parked_id", "reason": "not found"}])
        return doc

    def waiting_for(self, platform: str, ticket_nos: list[str]) -> list[dict]:
        return list(self.coll.find({"platform": platform, "ticket_no": {"$in": list(ticket_nos)}, "state": "parked",
                                    "waiting": True}))

    def settle(self, parked_id: str, change: Mapping[str, Any]) -> None:
        self.coll.update_one({"_id": parked_id}, {"$set": {**change, "updated_at": utcnow()}})

    def listed(self, query: Mapping, limit: int) -> list[dict]:
        return list(self.coll.find(dict(query)).sort([("parked_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    def count(self, query: Mapping) -> int:
        return self.coll.count_documents(dict(query))

    def ensure_indexes(self) -> None:
        for key in ("platform", "state", "ticket_no"):
            self.coll.create_index([(key, ASCENDING)])


class Platforms:
    """Per platform: the cursor of its change feed, who pulls it now, and whether it is down."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def state(self, platform: str) -> dict:
        return self.coll.find_one({"_id": platform}) or {"_id": platform, "cursor": None}

    def take(self, platform: str, holder: str, now: datetime, lease: timedelta) -> dict | None:
        """The platform's pull, held by `holder`, when nobody else holds it; None otherwise."""
        upsert_retrying(self.coll, platform, {"$setOnInsert": {"cursor": None, "lease_until": None}})
        return self.coll.find_one_and_update(
            {"_id": platform, "$or": [{"holder": holder}, {"lease_until": None}, {"lease_until": {"$lte": now}}]},
            {"$set": {"holder": holder, "lease_until": now + lease}}, return_document=ReturnDocument.AFTER)

    def advance(self, platform: str, holder: str, change: Mapping[str, Any]) -> bool:
        """Write the pull's progress while `holder` still holds it."""
        return self.coll.update_one({"_id": platform, "holder": holder}, {"$set": dict(change)}).matched_count == 1

    def let_go(self, platform: str, holder: str) -> None:
        self.coll.update_one({"_id": platform, "holder": holder}, {"$set": {"lease_until": None}})

    def mark(self, platform: str, change: Mapping[str, Any], inc: Mapping[str, int] | None = None) -> None:
        update: dict = {"$set": dict(change)}
        if inc:
            update["$inc"] = dict(inc)
        upsert_retrying(self.coll, platform, update)

    def all(self, names: Iterable[str]) -> dict[str, dict]:
        found = {d["_id"]: d for d in self.coll.find({"_id": {"$in": list(names)}})}
        return {name: found.get(name) or {"_id": name} for name in names}


def changed(step: Mapping) -> ChangedMeanwhile:
    """What a writer that lost a document's version hears."""
    return ChangedMeanwhile(f"{step['collection']} {step['doc_id']} changed meanwhile",
                            [{"field": "ticket_id", "reason": "changed meanwhile; reload and retry"}])


#: How the journal writes: a lost version answered with `ChangedMeanwhile`.
JOURNAL = {"on_clash": changed}


class HotlineStore:
    """Everything the hotline service keeps, one attribute per collection, and the journal."""

    def __init__(self, db: Database, journal: Journal, config: Mapping | None = None):
        config = config or {}
        self.tickets = Tickets(db["tickets"], journal)
        self.calls = Queue(db["calls"], db["call_hints"])
        self.case_calls = Queue(db["case_calls"], db["case_call_hints"])
        self.records = Records(db["records"], journal)
        self.platforms = Platforms(db["platforms"])
        self.pii_reads = PiiReads(db["pii_reads"])
        self.requests = RequestLog(db["requests"], float(config.get("REQUEST_LOG_DAYS", 7)))
        self.journal = journal

    def ensure_indexes(self) -> None:
        for part in (self.tickets, self.calls, self.case_calls, self.records):
            part.ensure_indexes()

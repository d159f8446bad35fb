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

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from services.hotline.exceptions import ChangedMeanwhile, ParkedNotFound, TicketNotFound
from shared.audit import PiiReads
from shared.clock import utcnow
from shared.journal import Journal
from shared.requests import RequestLog
from shared.writes import insert_or_get, upsert_retrying


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
    reason) or `manual` (a clerk enters it by hand)."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def owe(self, doc: Mapping[str, Any], now: datetime) -> tuple[dict, bool]:
        """Queue a call once: a second `owe` of the same `_id` changes nothing."""
        return insert_or_get(self.coll, {"state": "queued", "attempts": 0, "due_at": now, "created_at": now,
                                         "log": [], **doc})

    def find(self, call_id: str) -> dict | None:
        return self.coll.find_one({"_id": call_id})

    def due(self, now: datetime, limit: int = 200, query: Mapping | None = None) -> list[dict]:
        waiting = {"$or": [{"state": "queued", "due_at": {"$lte": now}},
                           {"state": "sending", "lease_until": {"$lte": now}}], **(query or {})}
        return list(self.coll.find(waiting).sort([("created_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    def take(self, call: Mapping, holder: str, now: datetime, lease: timedelta) -> dict | None:
        """The call, held by `holder`, when nobody else holds it; None otherwise."""
        free = {"$or": [{"state": "queued"}, {"state": "sending", "lease_until": {"$lte": now}}]}
        return self.coll.find_one_and_update({"_id": call["_id"], **free},
                                             {"$set": {"state": "sending", "holder": holder,
                                                       "lease_until": now + lease}},
                                             return_document=ReturnDocument.AFTER)

    def settle(self, call_id: str, holder: str | None, change: Mapping[str, Any], entry: Mapping | None = None) -> bool:
        """Write how a try went, while `holder` still holds the call (any holder when None)."""
        where = {"_id": call_id, **({"holder": holder} if holder else {})}
        update: dict = {"$set": {**change, "updated_at": utcnow()}}
        if entry:
            update["$push"] = {"log": dict(entry)}
        return self.coll.update_one(where, update).matched_count == 1

    def postpone(self, call_id: str, holder: str, due_at: datetime, why: str) -> None:
        """Not tried now (waiting for something else): no attempt counted."""
        self.settle(call_id, holder, {"state": "queued", "due_at": due_at, "waiting_for": why, "lease_until": None})

    def of_ticket(self, ticket_id: str) -> list[dict]:
        return list(self.coll.find({"ticket_id": ticket_id}).sort([("created_at", ASCENDING), ("_id", ASCENDING)]))

    def listed(self, query: Mapping, limit: int) -> list[dict]:
        return list(self.coll.find(dict(query)).sort([("created_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    def count_by_state(self, query: Mapping | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        grouped = [{"$match": dict(query or {})}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}]
        for row in self.coll.aggregate(grouped):
            counts[row["_id"]] = row["n"]
        return counts

    def ensure_indexes(self) -> None:
        for key in ("state", "ticket_id", "due_at", "platform"):
            self.coll.create_index([(key, ASCENDING)])


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

    def waiting_for(self, platform: str, ticket_no: str) -> list[dict]:
        return list(self.coll.find({"platform": platform, "ticket_no": ticket_no, "state": "parked",
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
        self.calls = Queue(db["calls"])
        self.case_calls = Queue(db["case_calls"])
        self.records = Records(db["records"], journal)
        self.platforms = Platforms(db["platforms"])
        self.pii_reads = PiiReads(db["pii_reads"])
        self.requests = RequestLog(db["requests"], float(config.get("REQUEST_LOG_DAYS", 7)))
        self.journal = journal

    def ensure_indexes(self) -> None:
        for part in (self.tickets, self.calls, self.case_calls, self.records):
            part.ensure_indexes()

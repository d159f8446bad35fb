"""Notifications' storage: one class per collection, reads by `_id` or by a few indexed fields.

A notice is fanned out into one message per recipient (`_id` derived from the notice and the
person, so however often a notice is fanned out each person has one message) and one inbox
item per message (its `_id` the message's). A message's sends are written through the journal
(`shared.journal`) at its next version, so `notice_sent` and `notice_failed` are published
once per outcome written."""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notifications.exceptions import ChangedMeanwhile, MessageNotFound, NoticeNotFound
from shared.audit import PiiReads
from shared.clock import utcnow
from shared.journal import Journal
from shared.requests import RequestLog
from shared.writes import insert_or_get, upsert_retrying

STATES = ("queued", "sending", "sent", "folded", "parked")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def insert_all(collection: Collection, docs: list[dict]) -> int:
    """Insert every document whose id is not there yet (a repeat of a batch adds nothing);
    how many were new."""
    if not docs:
        return 0
    try:
        return len(collection.insert_many(docs, ordered=False).inserted_ids)
    except BulkWriteError as error:
        if any(e.get("code") != 11000 for e in error.details.get("writeErrors", ())):
            raise
        return error.details.get("nInserted", 0)


class Notices:
    def __init__(self, collection: Collection):
        self.coll = collection

    def get(self, notice_id: str) -> dict:
        notice = self.coll.find_one({"_id": notice_id})
        if notice is None:
            raise NoticeNotFound(f"no notice {notice_id}", [{"field": "notice_id", "reason": "not found"}])
        return notice

    def insert_new(self, notice: dict) -> tuple[dict, bool]:
        return insert_or_get(self.coll, notice)

    def take(self, notice_id: str, holder: str, now: datetime, lease: timedelta) -> dict | None:
        """The notice, held by `holder` until `now + lease`, when it is still being fanned out
        and nobody else holds it; None otherwise."""
        return self.coll.find_one_and_update(
            {"_id": notice_id, "state": "fanning_out", "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$set": {"held_by": holder, "lease_until": now + lease}, "$inc": {"takes": 1}},
            return_document=ReturnDocument.AFTER)

    def unfinished(self, now: datetime, limit: int = 20) -> list[dict]:
        return list(self.coll.find({"state": "fanning_out", "$or": [{"lease_until": None},
                                                                    {"lease_until": {"$lt": now}}]}).limit(limit))

    def progress(self, notice_id: str, holder: str, change: Mapping[str, Any], now: datetime, lease: timedelta) -> bool:
        """Record progress while still the holder (and renew the lease); False when the notice
        was taken over."""
        written = self.coll.update_one({"_id": notice_id, "held_by": holder},
                                       {"$set": {**change, "lease_until": now + lease}})
        return bool(written.matched_count)

    def finish(self, notice_id: str, holder: str, change: Mapping[str, Any]) -> None:
        self.coll.update_one({"_id": notice_id, "held_by": holder},
                             {"$set": {**change, "state": "done", "lease_until": None}})

    def ensure_indexes(self) -> None:
        self.coll.create_index([("state", ASCENDING), ("lease_until", ASCENDING)])


class Messages:
    def __init__(self, collection: Collection, journal: Journal):
        self.coll = collection
        self.journal = journal

    def get(self, message_id: str) -> dict:
        message = self.coll.find_one({"_id": message_id})
        if message is None:
            raise MessageNotFound(f"no message {message_id}", [{"field": "message_id", "reason": "not found"}])
        return message

    def add(self, messages: list[dict]) -> int:
        return insert_all(self.coll, messages)

    def by_ids(self, message_ids: Iterable[str]) -> list[dict]:
        return list(self.coll.find({"_id": {"$in": list(message_ids)}}))

    def take(self, message: Mapping, now: datetime, lease: timedelta) -> dict | None:
        """The message held for sending until `now + lease`, if it is still as read."""
        return self.coll.find_one_and_update(
            {"_id": message["_id"], "version": message["version"],
             "$or": [{"state": "queued"}, {"state": "sending", "lease_until": {"$lt": now}}]},
            {"$set": {"state": "sending", "lease_until": now + lease}}, return_document=ReturnDocument.AFTER)

    def requeue(self, message: Mapping, due_at: datetime) -> None:
        """Back to the queue until `due_at`, no new version (a rate limit's wait, not a step)."""
        self.coll.update_one({"_id": message["_id"], "version": message["version"]},
                             {"$set": {"state": "queued", "due_at": due_at, "lease_until": None}})

    def advance(self, message: Mapping, set_: Mapping[str, Any], push: Mapping[str, list], events: list[dict]) -> None:
        """The message's next version; `ChangedMeanwhile` when another writer took it."""
        update: dict = {"$set": {**set_, "updated_at": utcnow()}}
        if any(push.values()):
            update["$push"] = {k: {"$each": list(v)} for k, v in push.items() if v}
        self.journal.commit({"collection": self.coll.name, "doc_id": message["_id"],
                             "version": message["version"] + 1, "update": update, "events": list(events)})

    def folded(self, digest_key: str, message_ids: list[str], now: datetime, into: str) -> list[dict]:
        """Fold those of the messages that are still queued for the digest and due into the
        digest `into`; every message folded into it."""
        self.coll.update_many({"_id": {"$in": message_ids}, "digest_key": digest_key, "state": "queued",
                               "due_at": {"$lte": now}},
                              {"$set": {"state": "folded", "folded_into": into, "updated_at": now}})
        return self.folded_into(into)

    def folded_into(self, digest_id: str) -> list[dict]:
        return list(self.coll.find({"folded_into": digest_id}).sort([("created_at", ASCENDING)]))

    def settle_folded(self, digest_id: str, change: Mapping[str, Any]) -> None:
        self.coll.update_many({"folded_into": digest_id}, {"$set": dict(change)})

    def listed(self, query: Mapping, limit: int, offset: int) -> tuple[int, list[dict]]:
        total = self.coll.count_documents(dict(query))
        return total, list(self.coll.find(dict(query)).sort([("created_at", ASCENDING)]).skip(offset).limit(limit))

    def count_of(self, notice_id: str) -> int:
        return self.coll.count_documents({"notice_id": notice_id})

    def count_by_state(self, notice_id: str) -> dict[str, int]:
        counted = {state: self.coll.count_documents({"notice_id": notice_id, "state": state}) for state in STATES}
        return {state: n for state, n in counted.items() if n}

    def ensure_indexes(self) -> None:
        for keys in ([("state", ASCENDING), ("due_at", ASCENDING)], [("notice_id", ASCENDING)],
                     [("person_id", ASCENDING)], [("digest_key", ASCENDING)], [("folded_into", ASCENDING)]):
            self.coll.create_index(keys)


class Pending:
    """The messages still to be sent, one small document each (`_id` the message's, `due_at`,
    `digest_key`), so the senders' scans never read the messages kept for their history and
    inbox. A hint, written after the message: the sender decides on the message as it is, and
    drops the hint once the message needs nothing more."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def add(self, hints: list[dict]) -> int:
        return insert_all(self.coll, hints)

    def due(self, now: datetime, limit: int) -> list[dict]:
        return list(self.coll.find({"due_at": {"$lte": now}}).sort([("due_at", ASCENDING)]).limit(limit))

    def of_digest(self, digest_key: str) -> list[str]:
        return [h["_id"] for h in self.coll.find({"digest_key": digest_key}, {"_id": 1})]

    def put(self, message_id: str, due_at: datetime, digest_key: str | None = None) -> None:
        upsert_retrying(self.coll, message_id, {"$set": {"due_at": due_at, "digest_key": digest_key}})

    def drop(self, message_ids: Iterable[str]) -> None:
        ids = list(message_ids)
        if ids:
            self.coll.delete_many({"_id": {"$in": ids}})

    def ensure_indexes(self) -> None:
        self.coll.create_index([("due_at", ASCENDING)])
        self.coll.create_index([("digest_key", ASCENDING)])


class Inbox:
    def __init__(self, collection: Collection):
        self.coll = collection

    def add(self, items: list[dict]) -> int:
        return insert_all(self.coll, items)

    def of(self, person_id: str, unread_only: bool, limit: int, offset: int) -> tuple[int, int, list[dict]]:
        query: dict = {"person_id": person_id, **({"read_at": None} if unread_only else {})}
        unread = self.coll.count_documents({"person_id": person_id, "read_at": None})
        total = self.coll.count_documents(query)
        items = list(self.coll.find(query).sort([("created_at", -1)]).skip(offset).limit(limit))
        return total, unread, items

    def mark_read(self, person_id: str, item_ids: Iterable[str], now: datetime) -> int:
        written = self.coll.update_many({"person_id": person_id, "_id": {"$in": list(item_ids)}, "read_at": None},
                                        {"$set": {"read_at": now}})
        return written.modified_count

    def ensure_indexes(self) -> None:
        self.coll.create_index([("person_id", ASCENDING), ("created_at", ASCENDING)])


class Preferences:
    def __init__(self, collection: Collection):
        self.coll = collection

    def of(self, person_ids: Iterable[str]) -> dict[str, dict]:
        return {p["_id"]: p for p in self.coll.find({"_id": {"$in": list(person_ids)}})}

    def put(self, person_id: str, change: Mapping[str, Any], now: datetime) -> dict:
        return self.coll.find_one_and_update({"_id": person_id}, {"$set": {**change, "updated_at": now}},
                                             upsert=True, return_document=ReturnDocument.AFTER)


class Pushes:
    """When each person was last sent a message on a push channel (the digest's look-back)."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def last(self, person_ids: Iterable[str]) -> dict[str, datetime]:
        return {p["_id"]: p["at"] for p in self.coll.find({"_id": {"$in": list(person_ids)}})}

    def record(self, person_id: str, at: datetime) -> None:
        self.coll.update_one({"_id": person_id}, {"$max": {"at": at}}, upsert=True)


class Locks:
    """Short leases on a name (a digest being gathered): one holder at a time."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def take(self, name: str, now: datetime, lease: timedelta) -> int | None:
        """The lock's round number when taken, None while another holds it."""
        try:
            lock = self.coll.find_one_and_update({"_id": name, "until": {"$lt": now}},
                                                 {"$set": {"until": now + lease}, "$inc": {"round": 1}},
                                                 upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            return None
        return lock["round"]

    def let_go(self, name: str) -> None:
        self.coll.update_one({"_id": name}, {"$set": {"until": EPOCH}})


class Rates:
    """Sends per channel per minute, counted across every instance."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def take(self, channel: str, now: datetime, per_minute: int) -> bool:
        """One send of `channel` in this minute when fewer than `per_minute` were; False when full."""
        minute = now.strftime("%Y%m%d%H%M")
        try:
            self.coll.update_one({"_id": f"{channel}:{minute}", "n": {"$lt": per_minute}},
                                 {"$inc": {"n": 1}, "$setOnInsert": {"at": now}}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    def forget_before(self, moment: datetime) -> None:
        self.coll.delete_many({"at": {"$lt": moment}})


class NotificationsStore:
    """Everything the notifications service keeps, one attribute per collection, and the journal."""

    def __init__(self, db: Database, journal: Journal, config: Mapping | None = None):
        config = config or {}
        self.notices = Notices(db["notices"])
        self.messages = Messages(db["messages"], journal)
        self.inbox = Inbox(db["inbox"])
        self.pending = Pending(db["pending"])
        self.preferences = Preferences(db["preferences"])
        self.pushes = Pushes(db["pushes"])
        self.locks = Locks(db["locks"])
        self.rates = Rates(db["rates"])
        self.pii_reads = PiiReads(db["pii_reads"])
        self.requests = RequestLog(db["requests"], float(config.get("REQUEST_LOG_DAYS", 7)))
        self.journal = journal

    def ensure_indexes(self) -> None:
        for part in (self.notices, self.messages, self.inbox, self.pending):
            part.ensure_indexes()


def changed(step: Mapping) -> ChangedMeanwhile:
    return ChangedMeanwhile(f"message {step['doc_id']} changed meanwhile",
                            [{"field": "message_id", "reason": "changed meanwhile"}])


#: How the journal writes: a lost version answered with `ChangedMeanwhile`.
JOURNAL = {"fresh_collection": "messages", "on_clash": changed}

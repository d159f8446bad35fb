"""The gateway's storage: the API keys, one document per key, read and counted by `_id`.

A request is admitted by one atomic update of its key's document in the common case: the
database counts it into the current minute and hands back the count, so of many requests at
once on one key exactly its limit are admitted, whichever gateway process serves them."""

from collections.abc import Mapping
from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from services.gateway import keys
from shared.journal import Journal

#: Tries to count a request: a second is needed only when another request moved the key's
#: window to this minute between this request's two updates (see `ApiKeys.admit`).
COUNTING_ROUNDS = 3


class ApiKeys:
    """The keys calling systems use: issued, counted per minute, revoked; never deleted."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def issue(self, doc: dict) -> dict:
        """Store a new key (`keys.key_document`)."""
        self.coll.insert_one(doc)
        return doc

    def revoke(self, key_id: str, now: datetime) -> dict:
        """The key, revoked at `now`, or at the time it was revoked first; `KeyNotFound` for a
        key_id nobody issued."""
        self.coll.update_one({"key_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": now}})
        doc = self.coll.find_one({"key_id": key_id})
        if doc is None:
            raise keys.KeyNotFound(f"no API key {key_id}", [{"field": "key_id", "reason": "not found"}])
        return doc

    def listed(self) -> list[dict]:
        """Every key, oldest first, revoked ones included."""
        return list(self.coll.find({}).sort([("created_at", ASCENDING), ("_id", ASCENDING)]))

    def admit(self, raw: str | None, now: datetime) -> dict:
        """The key document of the raw key a request presents, with this request counted into
        the minute of `now`; `Unauthenticated` for no key or one that is unknown or revoked,
        `RateLimited` when the key has used up its requests for this minute.

        Counting is an atomic increment in the key's current window (a window later than
        `now`'s minute, set by a gateway whose clock runs ahead, takes the request too); when
        the window is of an earlier minute, an atomic reset starts this minute's count at one.
        A window only moves forward, so when both updates miss, another request has just moved
        it (count again: it now matches) or the key is missing or revoked."""
        if raw is None or not raw.strip():
            raise keys.Unauthenticated.missing()
        return self._admit(keys.digest(raw), now)

    def public_in_force(self) -> bool:
        """Whether a key for public reads is in force."""
        return self.coll.find_one({"public_reads": True, "revoked_at": None}, {"_id": 1}) is not None

    def admit_public(self, now: datetime) -> dict:
        """The key ops marked for public reads, with this request counted as `admit` counts;
        `Unauthenticated` (a key is required) when no such key is in force."""
        marked = self.coll.find_one({"public_reads": True, "revoked_at": None}, {"_id": 1})
        if marked is None:
            raise keys.Unauthenticated.missing()
        return self._admit(marked["_id"], now)

    def _admit(self, key_digest: str, now: datetime) -> dict:
        minute = keys.minute_of(now)
        for _ in range(COUNTING_ROUNDS):
            counted = self._count(key_digest, minute) or self._start_minute(key_digest, minute)
            if counted is not None:
                return keys.within_limit(counted, now)
            if not self._usable(key_digest):
                raise keys.Unauthenticated.unknown()
        raise RuntimeError(f"API key {keys.key_id_of(key_digest)}: its window of {minute} could not be counted")

    def _count(self, key_digest: str, minute: datetime) -> dict | None:
        return self.coll.find_one_and_update({"_id": key_digest, "revoked_at": None, "window": {"$gte": minute}},
                                             {"$inc": {"used": 1}}, return_document=ReturnDocument.AFTER)

    def _start_minute(self, key_digest: str, minute: datetime) -> dict | None:
        return self.coll.find_one_and_update({"_id": key_digest, "revoked_at": None, "window": {"$lt": minute}},
                                             {"$set": {"window": minute, "used": 1}},
                                             return_document=ReturnDocument.AFTER)

    def _usable(self, key_digest: str) -> bool:
        doc = self.coll.find_one({"_id": key_digest}, {"revoked_at": 1})
        return doc is not None and doc.get("revoked_at") is None

    def ensure_indexes(self) -> None:
        self.coll.create_index([("key_id", ASCENDING)])


class GatewayStore:
    """Everything the gateway keeps: its API keys. The journal is unused (keys cause no events);
    the store takes it to be built by `shared.mongo.MongoStore` like every service's store."""

    def __init__(self, db: Database, journal: Journal, config: Mapping | None = None):
        self.keys = ApiKeys(db["api_keys"])
        self.journal = journal

    def ensure_indexes(self) -> None:
        self.keys.ensure_indexes()

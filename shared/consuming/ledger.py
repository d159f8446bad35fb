"""The record of every event a handler has taken, one document `<handler>:<event_id>` in the
consuming service's database: claimed (a run is going on, under a lease), handled (with the
handler's effect) or parked (with the event and its error, until a replay).

Every change of a record is one conditional single-document write: only the holder of the
current claim (its `token`) may settle it, and a claim is taken over only where its lease has
run out, so of two racing claimants exactly one gets it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import bson
from bson.errors import InvalidDocument
from pymongo import ReturnDocument
from pymongo.collection import Collection

from shared.clock import utcnow
from shared.consuming.keys import record_id
from shared.ids import new_id
from shared.writes import insert_or_get

CLAIMED, HANDLED, PARKED = "claimed", "handled", "parked"


@dataclass(frozen=True)
class Claim:
    """This worker may run the handler for the event, until its lease runs out."""

    record_id: str
    handler: str
    event_id: str
    token: str
    attempts: int  # runs of the handler for this event before this claim


@dataclass(frozen=True)
class Settled:
    """The handler is done with the event: handled (with its effect) or parked."""

    state: str
    effect: Any = None


class Busy:
    """Another worker holds a live claim on the event; look again later."""


BUSY = Busy()


class EventLedger:
    """The records of one consuming service, with the clock its leases are measured by."""

    def __init__(self, records: Collection, takeover: timedelta, clock: Callable[[], datetime] = utcnow):
        self.records = records
        self.takeover = takeover
        self.clock = clock

    def ensure_indexes(self) -> None:
        self.records.create_index([("state", 1), ("handler", 1)])

    def claim(self, handler: str, event_id: str, event_type: str | None) -> Claim | Settled | Busy:
        """Claim a run of `handler` for the event: the first claimant creates the record; a later
        one finds it settled, held, or held by a lease that has run out, which it takes over."""
        now, token = self.clock(), new_id("claim")
        fresh = {"_id": record_id(handler, event_id), "handler": handler, "event_id": event_id,
                 "type": event_type, "state": CLAIMED, "token": token, "claimed_at": now,
                 "lease_until": now + self.takeover, "attempts": 0}
        stored, created = insert_or_get(self.records, fresh)
        if created:
            return Claim(fresh["_id"], handler, event_id, token, 0)
        if stored is None:  # removed between the insert and the read: look again
            return BUSY
        if stored["state"] != CLAIMED:
            return Settled(stored["state"], stored.get("effect"))
        return self._take_over(stored) or BUSY

    def claim_parked(self, record: dict) -> Claim | None:
        """Claim a parked record for a replay; None when it is no longer parked or a replay
        elsewhere holds it. The record stays parked (and listed) until the replay settles it."""
        return self._take_over(record) if record.get("state") == PARKED else None

    def renew(self, claim: Claim) -> bool:
        """Extend the claim's lease; False when it has been taken over."""
        return self._write_as_holder(claim, {"lease_until": self.clock() + self.takeover})

    def note_failure(self, claim: Claim, error: str, attempts: int) -> bool:
        return self._write_as_holder(claim, {"error": error, "attempts": attempts})

    def handled(self, claim: Claim, effect: Any, attempts: int, replayed: bool = False) -> bool:
        """Settle the claim with the handler's effect; False when it had been taken over."""
        now = self.clock()
        fields = {"state": HANDLED, "effect": storable(effect), "attempts": attempts, "handled_at": now,
                  **({"replayed_at": now} if replayed else {})}
        return self._write_as_holder(claim, fields, release=True)

    def park(self, claim: Claim, event: Any, error: str, attempts: int) -> bool:
        """Settle the claim as parked, keeping the event for a replay."""
        fields = {"state": PARKED, "event": event, "error": error, "attempts": attempts, "parked_at": self.clock()}
        return self._write_as_holder(claim, fields, release=True)

    def parked(self, handler: str | None = None, event_id: str | None = None, limit: int = 0) -> list[dict]:
        """Parked records, the longest parked first."""
        query = {"state": PARKED, **_scope(handler, event_id)}
        return list(self.records.find(query).sort("parked_at", 1).limit(limit))

    def records_of(self, event_id: str, handler: str | None = None) -> list[dict]:
        """Every record of the event, in any state."""
        return list(self.records.find(_scope(handler, event_id)))

    def counts(self, handler: str | None = None) -> dict[str, int]:
        """Records handled, parked, claimed after a failed run (in retry) and claimed before any."""
        scope = _scope(handler, None)
        count = self.records.count_documents
        return {"handled": count({**scope, "state": HANDLED}),
                "parked": count({**scope, "state": PARKED}),
                "in_retry": count({**scope, "state": CLAIMED, "attempts": {"$gt": 0}}),
                "running": count({**scope, "state": CLAIMED, "attempts": 0})}

    def _take_over(self, stored: dict) -> Claim | None:
        now, token = self.clock(), new_id("claim")
        taken = self.records.find_one_and_update(
            {"_id": stored["_id"], "state": stored["state"], "lease_until": {"$lte": now}},
            {"$set": {"token": token, "claimed_at": now, "lease_until": now + self.takeover}},
            return_document=ReturnDocument.AFTER)
        if taken is None:
            return None
        return Claim(taken["_id"], taken["handler"], taken["event_id"], token, taken.get("attempts", 0))

    def _write_as_holder(self, claim: Claim, fields: dict, release: bool = False) -> bool:
        if release:
            fields = {**fields, "token": None, "lease_until": self.clock()}
        return self.records.update_one({"_id": claim.record_id, "token": claim.token},
                                       {"$set": fields}).matched_count == 1


def _scope(handler: str | None, event_id: str | None) -> dict:
    return {key: value for key, value in (("handler", handler), ("event_id", event_id)) if value is not None}


def storable(effect: Any) -> Any:
    """The effect as the database can keep it: itself, or its `repr` when BSON cannot hold it."""
    try:
        bson.encode({"effect": effect})
    except (InvalidDocument, TypeError, OverflowError):
        return repr(effect)
    return effect

"""Transactional outbox on single-document writes.

A change and the events it causes are written in one update (`pending_events` on the
changed document). Before that write a pointer `<collection>:<id>` is upserted into
`outbox_pointers`, so a relay can find documents whose events may be unpublished without
scanning whole collections. The relay publishes with publisher confirms, then removes the
published events and the pointer. A crash anywhere leaves either nothing to do or a pointer
that the periodic sweep finishes; an event may be published twice, never lost, and carries
its `event_id` so consumers drop repeats.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from pymongo.database import Database

from shared.clock import utcnow
from shared.ids import new_id
from shared.writes import upsert_retrying

log = logging.getLogger(__name__)

POINTERS = "outbox_pointers"
Publish = Callable[[dict], None]


class Outbox:
    def __init__(self, db: Database, publish: Publish):
        self.db = db
        self.publish = publish
        self.pointers = db[POINTERS]

    def guard(self, collection: str, doc_id: str) -> None:
        """Call before writing events onto a document."""
        upsert_retrying(self.pointers, f"{collection}:{doc_id}", {"$set": {"nonce": new_id("n"), "at": utcnow()}})

    def relay(self, collection: str, doc_id: str) -> int:
        """Publish the pending events of one document; returns how many were published."""
        pointer = self.pointers.find_one({"_id": f"{collection}:{doc_id}"})
        doc = self.db[collection].find_one({"_id": doc_id}, {"pending_events": 1})
        events = (doc or {}).get("pending_events") or []
        for event in events:
            self.publish(event)
        if events:
            self.db[collection].update_one({"_id": doc_id}, {"$pullAll": {"pending_events": events}})
        if pointer:
            # Only this pointer version: a writer that re-guarded meanwhile keeps its pointer.
            self.pointers.delete_one({"_id": pointer["_id"], "nonce": pointer["nonce"]})
        return len(events)

    def relay_quietly(self, collection: str, doc_id: str) -> None:
        """Relay right after a write; a broker failure is left to the sweep."""
        try:
            self.relay(collection, doc_id)
        except Exception:  # noqa: BLE001 - the pointer stays, the sweep retries
            log.warning("outbox relay of %s:%s deferred", collection, doc_id, exc_info=True)

    def sweep(self, grace: timedelta = timedelta(seconds=2)) -> int:
        """Relay every pointer older than `grace`; returns the number of events published."""
        published = 0
        cutoff = utcnow() - grace
        for pointer in list(self.pointers.find({})):
            if pointer["at"].replace(tzinfo=cutoff.tzinfo) > cutoff:
                continue
            collection, doc_id = pointer["_id"].split(":", 1)
            published += self.relay(collection, doc_id)
        return published

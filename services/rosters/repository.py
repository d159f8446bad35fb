"""Rosters' storage: one repository per collection, every hot read by `_id`.

Writes that cause events go through the service's journal (`shared.journal`): the change,
its events and the step that records them, published after the write.
"""

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import eventlet
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from services.rosters.exceptions import AppointmentNotFound, Conflict, PersonNotFound, UnitNotFound
from services.rosters.import_store import ImportJobs
from services.rosters.siblings import SiblingNames, active_child_named
from services.rosters.unitcache import UnitCache
from shared.audit import PiiReads
from shared.clock import utcnow
from shared.config import flag
from shared.errors import NotFound
from shared.journal import Journal, NotApplied, VersionTaken
from shared.requests import RequestLog
from shared.writes import insert_or_get

log = logging.getLogger(__name__)
RAW = CodecOptions(document_class=RawBSONDocument)
RETRIES = 10  # tries of a write with events while other writers keep taking the document's next version


class EventSourcedCollection:
    """A collection whose writes that cause events go through the journal."""

    missing: type[NotFound] = NotFound
    label = "document"

    def __init__(self, collection: Collection, journal: Journal):
        self.coll = collection
        self.journal = journal

    def get(self, doc_id: str, field: str | None = None) -> dict:
        """The document, or this collection's `NotFound` naming `field` (default `<label>_id`)."""
        doc = self.coll.find_one({"_id": doc_id})
        if doc is None:
            raise self.missing(f"no {self.label} {doc_id}", [{"field": field or f"{self.label}_id",
                                                               "reason": "not found"}])
        return doc

    def find(self, doc_id: str) -> dict | None:
        return self.coll.find_one({"_id": doc_id})

    def get_many(self, ids: Iterable[str]) -> dict[str, dict]:
        """Documents by id, fetched concurrently (one `_id` lookup each)."""
        ids = list(dict.fromkeys(ids))
        if len(ids) <= 1:  # no green threads for the common single miss
            found = (self.coll.find_one({"_id": i}) for i in ids)
        else:
            found = eventlet.GreenPool(8).imap(lambda i: self.coll.find_one({"_id": i}), ids)
        return {doc["_id"]: doc for doc in found if doc is not None}

    def insert(self, doc: dict, events: list[dict] = ()) -> dict:
        if events:
            self.journal.commit({"collection": self.coll.name, "doc_id": doc["_id"], "version": 1,
                                 "create": doc, "events": list(events)})
        else:
            self.coll.insert_one(doc)
        return doc

    def insert_new(self, doc: dict) -> tuple[dict, bool]:
        """Insert unless a document with this id exists; returns (stored document, created).
        Of callers inserting one id at once, exactly one creates it."""
        return insert_or_get(self.coll, doc)

    def update(self, doc_id: str, change: Mapping[str, Any], events: list[dict] = (),
               when: Mapping[str, Any] | None = None) -> bool:
        """Apply an update document; with `events`, through the journal at the document's
        next version (retried while other writers take it first).

        With `when`, a compare-and-set: the write happens only while the document still
        matches those conditions, and False (nothing written, no event) means it did not;
        without it, a missing document raises this collection's `NotFound`."""
        change = {k: dict(v) for k, v in change.items()}
        change.setdefault("$set", {})["updated_at"] = utcnow()
        if not events:
            written = self.coll.update_one({"_id": doc_id, **(when or {})}, change).matched_count > 0
            return self._written_or_missing(doc_id, written, when)
        for attempt in range(RETRIES):
            current = self.coll.find_one({"_id": doc_id}, {"version": 1})
            if current is None:
                return self._written_or_missing(doc_id, False, when)
            step = {"collection": self.coll.name, "doc_id": doc_id, "version": current.get("version", 0) + 1,
                    "update": change, "when": {"_id": doc_id, **(when or {})}, "events": list(events)}
            try:
                self.journal.commit(step)
            except NotApplied:
                return self._written_or_missing(doc_id, False, when)
            except VersionTaken:  # another writer got there first: do its changes leave ours possible?
                if when is not None and self.coll.find_one({"_id": doc_id, **when}, {"_id": 1}) is None:
                    return False
                eventlet.sleep(random.uniform(0.002, 0.01) * (attempt + 1))
                continue
            return True
        raise Conflict(f"{self.label} {doc_id} kept changing; try again", [{"field": f"{self.label}_id",
                                                                         "reason": "busy"}])

    def _written_or_missing(self, doc_id: str, written: bool, when: Mapping[str, Any] | None) -> bool:
        if written or when is not None:
            return written
        raise self.missing(f"no {self.label} {doc_id}", [{"field": f"{self.label}_id", "reason": "not found"}])


class Units(EventSourcedCollection):
    """Units, with the reads of the chain served from a long-lived `UnitCache`."""

    missing = UnitNotFound
    label = "unit"

    def __init__(self, collection: Collection, journal: Journal, cache: UnitCache | None = None):
        super().__init__(collection, journal)
        self.cache = cache if cache is not None else UnitCache(0)

    def cached(self, unit_id: str) -> dict:
        """The unit, from the cache when it holds it."""
        unit = self.cache.get(unit_id)
        if unit is None:
            stamp = self.cache.stamp()
            unit = self.get(unit_id)
            self.cache.put(unit, stamp)
        return unit

    def chain_ancestors(self, unit: Mapping) -> dict[str, dict]:
        """The ancestors a responsible chain shows (up to the unit's community, or all of them
        above communities), by id, from the cache or by concurrent `_id` reads."""
        wanted = unit["ancestors"]
        if unit.get("community_id") in wanted:
            wanted = wanted[wanted.index(unit["community_id"]):]
        found = {i: doc for i in wanted if (doc := self.cache.get(i)) is not None}
        missing = [i for i in wanted if i not in found]
        stamp = self.cache.stamp()
        read = self.get_many(missing)
        for doc in read.values():
            self.cache.put(doc, stamp)
        return found | read

    def load_all(self, lifetime: float) -> tuple[int, int]:
        """Read every unit into the cache, each kept `lifetime` seconds: (read, kept). A unit
        changed while the scan ran is not kept (it is read on demand instead)."""
        stamp = self.cache.stamp()
        read = kept = 0
        for unit in self.coll.with_options(codec_options=RAW).find({}, batch_size=1000):
            read += 1
            kept += self.cache.put(unit, stamp, lifetime)
        return read, kept

    def forget(self, unit_id: str, subtree: bool = False) -> None:
        """Another instance announced a change of this unit (and with `subtree`, of those below)."""
        self.cache.forget(unit_id, subtree)

    def update(self, doc_id: str, change: Mapping[str, Any], events: list[dict] = (),
               when: Mapping[str, Any] | None = None) -> bool:
        """Forgotten after the write as well, so a read that overlapped it is not kept."""
        self.cache.forget(doc_id)
        try:
            return super().update(doc_id, change, events, when)
        finally:
            self.cache.forget(doc_id)

    def community_of(self, unit: Mapping) -> dict | None:
        return self.get(unit["community_id"]) if unit.get("community_id") else None

    def descendants(self, node_id: str) -> list[dict]:
        return list(self.coll.find({"ancestors": node_id}))

    def subtree(self, node_id: str) -> list[dict]:
        return [self.get(node_id), *self.descendants(node_id)]

    def at_path(self, path: list[str]) -> dict:
        doc = self.coll.find_one({"path": path, "retired": False})
        if doc is None:
            raise UnitNotFound(f"no unit at {'/'.join(path)}", [{"field": "path", "reason": "not found"}])
        return doc

    def with_pending_rebase(self) -> list[dict]:
        return list(self.coll.find({"rebase_pending": True}))

    def children(self, parent_id: str, include_retired: bool, limit: int, offset: int) -> list[dict]:
        query = {"parent_id": parent_id, **({} if include_retired else {"retired": False})}
        return list(self.coll.find(query).sort("name", ASCENDING).skip(offset).limit(limit))

    def child_named(self, parent_id: str | None, name: str) -> dict | None:
        """The active unit of that name under the parent, as siblings compare names."""
        return active_child_named(self.coll, parent_id, name)


class People(EventSourcedCollection):
    missing = PersonNotFound
    label = "person"

    def search(self, query: Mapping, ids: Iterable[str] | None, limit: int, offset: int) -> list[dict]:
        if ids is not None:
            query = {**query, "_id": {"$in": list(ids)}}
        return list(self.coll.find(query).sort("name", ASCENDING).skip(offset).limit(limit))

    def with_place(self, unit_id: str) -> list[dict]:
        """People with `unit_id` among their places (`services.rosters.places`)."""
        return list(self.coll.find({"places": unit_id}, {"places": 1, "home_unit_id": 1}))

    def without_places(self, limit: int) -> list[dict]:
        """People stored before places were kept on them."""
        return list(self.coll.find({"places": {"$exists": False}}, {"home_unit_id": 1}).limit(limit))

    def add_places(self, person_id: str, unit_ids: list[str]) -> None:
        self.update(person_id, {"$addToSet": {"places": {"$each": unit_ids}}})

    def set_places(self, person_id: str, places: list[str], was: list[str] | None) -> bool:
        """Compare-and-set: False when the person's places changed since they were read as `was`."""
        return self.update(person_id, {"$set": {"places": places}}, when={"places": was})


class Appointments(EventSourcedCollection):
    missing = AppointmentNotFound
    label = "appointment"

    def current(self, query: Mapping) -> list[dict]:
        return list(self.coll.find({**query, "status": "appointed"}))

    def with_leaders_pending(self) -> list[dict]:
        """Appointments whose step has not yet reached the unit's leaders (a crash between)."""
        return list(self.coll.find({"leaders_pending": True}))

    def under(self, query: Mapping, limit: int, offset: int) -> list[dict]:
        return list(self.coll.find(query).sort("_id", ASCENDING).skip(offset).limit(limit))

    def of_people(self, person_ids: list[str]) -> list[dict]:
        return list(self.coll.find({"person_id": {"$in": person_ids}}, {"person_id": 1, "unit_id": 1}))

    def with_lineage(self, unit_id: str) -> list[dict]:
        """Appointments at `unit_id` or below it."""
        return list(self.coll.find({"lineage": unit_id}, {"unit_id": 1, "lineage": 1}))

    def without_lineage(self, limit: int) -> list[dict]:
        """Appointments stored before their unit's lineage was kept on them."""
        return list(self.coll.find({"lineage": {"$exists": False}}, {"unit_id": 1}).limit(limit))

    def with_places_pending(self) -> list[dict]:
        """Appointments whose unit has not yet reached the person's places (a crash between)."""
        return list(self.coll.find({"places_pending": True}))


class PlaceRepairs:
    """Units being moved, each marked before its move and cleared once the places of the
    people and appointments below it follow: what a crash left marked is finished at start."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def mark(self, unit_id: str) -> None:
        self.coll.replace_one({"_id": unit_id}, {"at": utcnow()}, upsert=True)

    def clear(self, unit_id: str) -> None:
        self.coll.delete_one({"_id": unit_id})

    def pending(self) -> list[str]:
        return [doc["_id"] for doc in self.coll.find({})]


class Duty:
    """The daily duty rota: one document per community and day, `_id` `<community>:<date>`."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def set(self, community_id: str, day: str, entry: dict) -> None:
        self.coll.replace_one({"_id": f"{community_id}:{day}"}, {**entry, "community_id": community_id,
                                                                    "date": day}, upsert=True)

    def on(self, community_id: str, day: str) -> dict | None:
        return self.coll.find_one({"_id": f"{community_id}:{day}"})


class RostersStore:
    """Everything the rosters service keeps, one attribute per collection."""

    def __init__(self, db: Database, journal: Journal, config: Mapping | None = None):
        config = config or {}
        cache = UnitCache(float(config.get("CHAIN_CACHE_SECONDS", 600)), int(config.get("UNIT_CACHE_ENTRIES", 200_000)))
        self.preload = flag(config.get("UNIT_CACHE_PRELOAD", False)) and cache.seconds > 0
        self.last_load: dict | None = None
        self.journal = journal
        self.units = Units(db["units"], journal, cache)
        self.sibling_names = SiblingNames(db["unit_names"], db["units"])
        self.people = People(db["people"], journal)
        self.appointments = Appointments(db["appointments"], journal)
        self.duty = Duty(db["duty"])
        self.imports = ImportJobs(db["imports"], db["import_files"])
        self.pii_reads = PiiReads(db["pii_reads"])
        self.place_repairs = PlaceRepairs(db["place_repairs"])
        self.requests = RequestLog(db["requests"], float(config.get("REQUEST_LOG_DAYS", 7)))
        self.person_key = str(config.get("PERSON_ID_KEY", "change-me-in-production"))

    def start(self, spawn: Callable) -> None:
        if self.preload:
            spawn(self._keep_units_loaded, identifier="unit_preload")

    def _keep_units_loaded(self) -> None:
        """Every unit in the cache, read again every `CHAIN_CACHE_SECONDS` so none expires
        while the database answers (a missed `unit_changed` shows by the next reload)."""
        cache = self.units.cache
        while True:
            started = time.monotonic()
            try:
                read, kept = self.units.load_all(lifetime=2 * cache.seconds)
            except Exception:  # noqa: BLE001 - chains read the database meanwhile; try again
                log.warning("loading units into the cache failed", exc_info=True)
                eventlet.sleep(min(cache.seconds, 30))
                continue
            took = time.monotonic() - started
            self.last_load = {"units": kept, "changed_meanwhile": read - kept, "seconds": round(took, 3),
                              "finished_at": utcnow().isoformat()}
            if len(cache) >= cache.max_entries:
                log.warning("unit cache full at %d units: raise UNIT_CACHE_ENTRIES", cache.max_entries)
            log.info("%d units loaded into the cache in %.1fs", kept, took)
            eventlet.sleep(max(cache.seconds - took, 1))

    def unit_cache_status(self) -> dict:
        cache = self.units.cache
        return {"cached": len(cache), "max_entries": cache.max_entries, "seconds": cache.seconds,
                "preload": self.preload, "last_load": self.last_load}

    def ensure_indexes(self) -> None:
        self.units.coll.create_index("ancestors")
        self.units.coll.create_index("parent_id")
        self.people.coll.create_index("name")
        self.appointments.coll.create_index([("unit_id", ASCENDING), ("status", ASCENDING)])
        self.appointments.coll.create_index("person_id")
        self.imports.coll.create_index("state")
        self.people.coll.create_index([("places", ASCENDING), ("name", ASCENDING)])  # a search inside a jurisdiction
        self.appointments.coll.create_index([("lineage", ASCENDING), ("_id", ASCENDING)])
        self.pii_reads.coll.create_index([("actor.lineage", ASCENDING), ("at", ASCENDING)])
        self.pii_reads.coll.create_index("at")
        self.place_repairs.coll.create_index("at")  # the collection exists before its first mark

"""The journal: every change that causes events goes through `Journal.commit`.

A step is one change to one document, at the document's next `version`:

    {"collection": "cases", "doc_id": "case_1f", "version": 3,
     "update": {"$set": {...}, "$push": {...}},      # or "create": the whole document (version 1)
     "when": {"status": "appointed"},                # optional: only while the document matches
     "events": [envelope, ...],                      # published after the write, confirmed
     "counts": {...},                                # counter increments, added once (see `expand`)
     "follow": [{"collection": c, "_id": i, "replace": doc} | {..., "delete": True}]}

It is written so that a process dying at any point loses nothing that was answered and
counts nothing twice, with single-document writes only:

1. The step is listed as pending in this instance's `journal_instances` document (one write
   for the whole batch), under its key `<collection>:<doc_id>:<version>` and the attempt's
   tag; a new document whose id came from this instance's reserved block (`new_id`) is not
   listed: the block's release mark accounts for it.
2. Its record is inserted into `journal_steps`, whose unique `_id` (the key) makes exactly one
   of two writers at a version win; the loser hears `on_clash(step)`. A new document with a
   reserved id is claimed by its own `_id` instead and carries its record as `opening`.
3. The document is written (`$set version` with the update; with `when`, a compare-and-set
   that, when it no longer matches, voids the step and raises `NotApplied`).
4. The caller is answered; a publisher thread publishes the events with publisher confirms;
   (while the broker is down it keeps them, in order, and tries again with backoff);
   a finisher adds the counts of everything published within `FINISH_WINDOW` (one `$inc`
   per counter document, marked with the window's step keys), applies the follow-ups, and
   releases the steps (pending entries removed, the reserved block's release mark moved).

Steps arriving together are written together (one insert per collection, one bulk of
updates); a step that cannot be encoded or that the database refuses fails alone. What a
dead process left unfinished is finished by the sweep of any instance (`recovery`).
"""

import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import bson
import eventlet
from bson.raw_bson import RawBSONDocument
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from eventlet.semaphore import Semaphore
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from shared.clock import utcnow
from shared.ids import new_id
from shared.journal.records import RECORDED, NotApplied, VersionTaken, listing_name, pack, step_key
from shared.writes import upsert_retrying

log = logging.getLogger(__name__)
BATCH = 200
RESERVE = 100  # fresh ids reserved per write of the instance document
FINISH_WINDOW = 0.5  # seconds: counts read through another instance lag a command by about this much
PUBLISH_RETRY_MAX = 5.0  # seconds: longest wait between tries to publish what the broker refused
DUPLICATE = 11000

Expand = Callable[[Any], Mapping[str, Mapping[str, int]]]


def counts_as_given(counts: Any) -> Mapping[str, Mapping[str, int]]:
    """Counts already given as counter document → path → amount."""
    return counts or {}


def version_taken(step: Mapping) -> Exception:
    return VersionTaken(f"{step['_id']} was written by another writer first")


class Journal:
    """Config: `takeover_seconds` (how long before another instance finishes a step this one
    left), `fresh_collection` (the collection `new_id` reserves ids for), `expand` (turns a
    step's `counts` into counter document → path → amount), `on_clash` (the error a writer
    that lost a version hears), `counters` (the collection of counter documents)."""

    def __init__(self, db: Database, publish: Callable[[dict], None], *, takeover_seconds: float = 30,
                 fresh_collection: str | None = None, expand: Expand = counts_as_given,
                 on_clash: Callable[[Mapping], Exception] = version_taken, counters: str = "counters",
                 clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.steps, self.claims, self.instances = db["journal_steps"], db["journal_claims"], db["journal_instances"]
        self.counters = db[counters]
        self.publish = publish
        self.expand, self.on_clash = expand, on_clash
        self.fresh_collection = fresh_collection
        self.takeover = timedelta(seconds=takeover_seconds)
        self.clock = clock
        self.instance = new_id("journal")
        self.prefix = f"{fresh_collection or 'doc'}_{os.urandom(6).hex()}"
        self.seq = self.reserved = self.released = 0
        self.held: dict[int, datetime] = {}  # fresh ids handed out, not yet finished: `released` stays below
        self.reserving = Semaphore()
        self.unmark: dict[str, set[str]] = {}  # counter doc → marks of released steps, dropped on its next write
        self.windows = 0  # finishing windows so far; each names its mark on the counter documents
        self.queued = self.settled = 0  # steps queued here; of those, finished or given up
        self.events_published = self.publish_failures = 0
        self.marks_waiting: list[tuple[int, list[tuple[str, str]]]] = []  # (fresh id to be released, marks)
        self.pending: LightQueue | None = None
        self.unpublished: set[str] = set()  # keys of steps written here whose events wait for the broker
        self.underway: set[str] = set()  # keys of steps written here and not yet finished: not the sweep's
        self.hurry = LightQueue()  # a reader wants the open window finished now

    def start(self, spawn: Callable[..., Any]) -> None:
        """Write, publish and finish steps in batches on background threads from now on."""
        self.pending, written, published = LightQueue(), LightQueue(), LightQueue()
        spawn(lambda: self._write_forever(written), identifier="journal_writer")
        spawn(lambda: self._publish_forever(written, published), identifier="journal_publisher")
        spawn(lambda: self._finish_forever(published), identifier="journal_finisher")

    # -- what callers use ------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh id for a document of `fresh_collection`, from this instance's reserved block."""
        with self.reserving:
            if self.seq >= self.reserved:
                upto = self.seq + RESERVE
                self.instances.update_one({"_id": self.instance}, {"$set": {
                    "prefix": self.prefix, "collection": self.fresh_collection, "upto": upto,
                    "released": self.released, "seen_at": self.clock()}}, upsert=True)
                self.reserved = upto
            self.seq += 1
            self.held[self.seq] = self.clock()
            return f"{self.prefix}{self.seq:08x}"

    def commit(self, step: dict) -> None:
        """Write a step; returns once it is saved (its events follow at once). Raises
        `on_clash(step)` when another writer took the version first, `NotApplied` when its
        `when` conditions no longer held, or the error that kept this step from being written."""
        self.queued += 1
        if self.pending is None:  # not started: one step at a time, finished before returning
            written: list[dict] = []
            try:
                written = self._write_batch([(step, None)])
                self._finish_batch(self._publish(written))
            finally:
                self.settled += 1
                self.underway.difference_update(s["_id"] for s in written)
            return
        done = Event()
        self.pending.put((step, done))
        done.wait()

    def settle(self, timeout: float = 2.0) -> None:
        """Wait until every step this instance has answered for is finished (its counts
        added), so a read of counts right after a command includes it."""
        clock = eventlet.hubs.get_hub().clock
        deadline = clock() + timeout
        target = self.queued  # steps go through in order, so these are the first `target` to settle
        while self.settled < target and clock() < deadline:
            if self.hurry.empty():
                self.hurry.put(None)
            eventlet.sleep(0.01)

    @property
    def in_flight(self) -> int:
        """Steps queued here and not yet finished or given up."""
        return self.queued - self.settled

    def state(self) -> dict:
        """Steps whose events may be unpublished (listed by any instance, or opened here and
        not finished), the oldest one's age, and this instance's publishing so far."""
        now = self.clock()
        since = [at for doc in self.instances.find({}) for at in (doc.get("pending") or {}).values()]
        since += list(self.held.values())
        return {"unfinished_steps": len(since),
                "oldest_unfinished_seconds": round((now - min(since)).total_seconds(), 3) if since else 0.0,
                "in_flight_here": self.in_flight, "waiting_for_broker_here": len(self.unpublished),
                "events_published_here": self.events_published, "publish_failures_here": self.publish_failures,
                "instances": self.instances.count_documents({})}

    # -- names -----------------------------------------------------------------------------

    def seq_of(self, collection: str, doc_id: str) -> int | None:
        """The block number of an id this instance reserved, else None."""
        if collection != self.fresh_collection or not doc_id.startswith(self.prefix):
            return None
        return int(doc_id[len(self.prefix):], 16)

    def listed(self, step: Mapping) -> bool:
        """Whether a step goes on the pending list: all but a new document with a reserved id."""
        return step["version"] > 1 or self.seq_of(step["collection"], step["doc_id"]) is None

    def _unhold(self, step: Mapping) -> None:
        self.held.pop(self.seq_of(step["collection"], step["doc_id"]) or 0, None)

    # -- background threads ----------------------------------------------------------------

    def _write_forever(self, written: LightQueue) -> None:
        while True:
            batch = [self.pending.get()]
            eventlet.sleep(0)  # workers already running get to add their steps to this batch
            while len(batch) < BATCH and not self.pending.empty():
                batch.append(self.pending.get_nowait())
            try:
                done = self._write_batch(batch)
                self.settled += len(batch) - len(done)
                written.put(done)
            except Exception as error:  # noqa: BLE001 - every waiter hears of it
                self.settled += len(batch)
                log.warning("writing %d steps failed", len(batch), exc_info=True)
                for _, waiter in batch:
                    if not waiter.ready():
                        waiter.send_exception(error)

    def _publish_forever(self, written: LightQueue, published: LightQueue) -> None:
        """Publish written steps in order; while the broker does not take them, keep them
        (in order) and try again after 0.5 s, 1 s, 2 s… up to `PUBLISH_RETRY_MAX` seconds."""
        waiting: list[dict] = []
        delay = 0.0
        while True:
            batch = waiting
            with contextlib.suppress(Empty):
                batch = batch + written.get(timeout=delay if waiting else None)
            while not written.empty():
                batch.extend(written.get_nowait())
            done, waiting = self._publish_in_order(batch)
            self.unpublished = {s["_id"] for s in waiting}
            if done:
                published.put(done)
            delay = min(max(delay * 2, 0.5), PUBLISH_RETRY_MAX) if waiting else 0.0

    def _finish_forever(self, published: LightQueue) -> None:
        """Counts, follow-ups and release of everything published within `FINISH_WINDOW` (or
        until a reader hurries it): one `$inc` per counter document for the whole window."""
        while True:
            batch = published.get()
            with contextlib.suppress(Empty):
                self.hurry.get(timeout=FINISH_WINDOW)
            while not self.hurry.empty():
                self.hurry.get_nowait()
            while not published.empty():
                batch.extend(published.get_nowait())
            try:
                self._finish_batch(batch)
            except Exception:  # noqa: BLE001 - they stay unreleased; the sweep finishes them
                log.warning("finishing %d steps deferred to the sweep", len(batch), exc_info=True)
            finally:
                self.settled += len(batch)
                self.underway.difference_update(s["_id"] for s in batch)

    # -- writing ---------------------------------------------------------------------------

    def _write_batch(self, batch: list[tuple[dict, Event | None]]) -> list[dict]:
        """Claim and write a batch; answers each waiter; returns the steps written."""
        outcome: dict[int, Exception | None] = {}
        stamped: dict[int, dict] = {}
        now = self.clock()
        for i, (step, _) in enumerate(batch):
            try:
                stamped[i] = self._stamped(step, now)
            except Exception as error:  # noqa: BLE001 - this step alone fails (e.g. it cannot be encoded)
                outcome[i] = error
        listed = [listing_name(s["_id"], s["attempt"]) for s in stamped.values() if self.listed(s)]
        if listed:
            self.instances.update_one({"_id": self.instance}, {"$set": {
                "seen_at": now, **{f"pending.{name}": now for name in listed}}}, upsert=True)
        fresh = [i for i, s in stamped.items() if not self.listed(s)]
        outcome |= self._insert_fresh([(i, stamped[i]) for i in fresh])
        claimed = [i for i in stamped if i not in fresh]
        claims = self._insert(self.steps, [(i, stamped[i]["record"]) for i in claimed])
        outcome |= {i: self._clash(stamped[i], error) for i, error in claims.items()}
        outcome |= self._apply([(i, stamped[i]) for i in claimed if i not in outcome])
        self._forget([stamped[i] for i, error in outcome.items() if error is not None and i in stamped])
        for i, (_, waiter) in enumerate(batch):
            error = outcome.get(i)
            if waiter is None and error is not None:
                raise error
            if waiter is not None:
                waiter.send_exception(error) if error is not None else waiter.send(None)
        written = [s for i, s in stamped.items() if outcome.get(i) is None]
        self.underway.update(s["_id"] for s in written)
        return written

    def _stamped(self, step: dict, now: datetime) -> dict:
        """The step with its key, time, writer and attempt, and its writes encoded (so that a
        step that cannot be encoded fails here, alone)."""
        key = step_key(step["collection"], step["doc_id"], step["version"])
        stamped = {"events": [], "counts": {}, "follow": [], **step, "_id": key, "at": now,
                   "writer": self.instance, "attempt": os.urandom(4).hex()}
        finishing = {k: stamped[k] for k in ("events", "counts", "follow", "writer")}
        if "create" in step:
            created = {**step["create"], "_id": step["doc_id"], "version": step["version"]}
            if not self.listed(stamped):
                created["opening"] = pack(finishing)
            stamped["created"] = RawBSONDocument(bson.encode(created))
        else:
            bson.encode(step["update"])
        if self.listed(stamped):
            stamped["record"] = RawBSONDocument(bson.encode({k: stamped[k] for k in RECORDED}))
        return stamped

    def _insert_fresh(self, steps: list[tuple[int, dict]]) -> dict[int, Exception]:
        """New documents with reserved ids: each claims its own `_id`."""
        by_collection: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        for i, step in steps:
            by_collection[step["collection"]].append((i, step["created"]))
        outcome: dict[int, Exception] = {}
        for collection, docs in by_collection.items():
            outcome |= self._insert(self.db[collection], docs)
        by_index = dict(steps)
        return {i: self._clash(by_index[i], error) for i, error in outcome.items()}

    def _apply(self, steps: list[tuple[int, dict]]) -> dict[int, Exception]:
        """Write the documents of claimed steps: creates inserted, plain updates in one bulk
        per collection, conditional updates one by one."""
        outcome: dict[int, Exception] = {}
        creates: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        updates: dict[str, list[tuple[int, UpdateOne]]] = defaultdict(list)
        for i, step in steps:
            if "create" in step:
                creates[step["collection"]].append((i, step["created"]))
            elif step.get("when"):
                outcome[i] = self._apply_when(step)
            else:
                updates[step["collection"]].append((i, UpdateOne({"_id": step["doc_id"]}, self._versioned(step))))
        for collection, docs in creates.items():
            outcome |= self._insert(self.db[collection], docs)
        for collection, ops in updates.items():
            outcome |= self._bulk(self.db[collection], ops)
        by_index = dict(steps)
        for i, error in list(outcome.items()):
            if error is not None:  # not written: the version is free again
                self.steps.delete_one({"_id": by_index[i]["_id"], "attempt": by_index[i]["attempt"]})
                outcome[i] = self._clash(by_index[i], error)
        return outcome

    def _apply_when(self, step: Mapping) -> Exception | None:
        result = self.db[step["collection"]].update_one({"_id": step["doc_id"], **step["when"]},
                                                        self._versioned(step))
        return None if result.matched_count else NotApplied(f"{step['_id']}: the conditions no longer held")

    @staticmethod
    def _versioned(step: Mapping) -> dict:
        update = {op: dict(fields) for op, fields in step["update"].items()}
        update.setdefault("$set", {})["version"] = step["version"]
        return update

    def _clash(self, step: Mapping, error: Exception) -> Exception:
        return self.on_clash(step) if isinstance(error, _Duplicate) else error

    def _forget(self, lost: list[dict]) -> None:
        """Steps that were not written: off the pending list, and no hold on the release mark."""
        for step in lost:
            self._unhold(step)
        names = [listing_name(s["_id"], s["attempt"]) for s in lost if self.listed(s)]
        if names:
            self.release(self.instance, names)

    @staticmethod
    def _insert(collection, docs: list[tuple[int, Any]]) -> dict[int, Exception]:
        """Insert what can be; returns the error of each document refused (`_Duplicate` for
        an `_id` that exists)."""
        if not docs:
            return {}
        try:
            collection.insert_many([doc for _, doc in docs], ordered=False)
        except BulkWriteError as error:
            return {docs[e["index"]][0]: _refusal(e) for e in error.details.get("writeErrors", [])}
        return {}

    @staticmethod
    def _bulk(collection, ops: list[tuple[int, UpdateOne]]) -> dict[int, Exception]:
        try:
            collection.bulk_write([op for _, op in ops], ordered=False)
        except BulkWriteError as error:
            return {ops[e["index"]][0]: _refusal(e) for e in error.details.get("writeErrors", [])}
        return {}

    # -- publishing and finishing ----------------------------------------------------------

    def _publish_in_order(self, steps: list[dict]) -> tuple[list[dict], list[dict]]:
        """(steps published, steps from the first that could not be) — the broker is most
        likely down then, and the rest would fail the same way."""
        for index, step in enumerate(steps):
            try:
                for event in step["events"]:
                    self.publish(event)
                    self.events_published += 1
            except Exception:  # noqa: BLE001 - kept, in order, for the next try
                self.publish_failures += 1
                log.warning("events of %s not published yet; trying again", step["_id"], exc_info=True)
                return steps[:index], steps[index:]
        return steps, []

    def _publish(self, steps: list[dict]) -> list[dict]:
        """Publish each step's events; a step whose events could not be published stays
        unreleased for the sweep and is not finished here."""
        done = []
        for step in steps:
            try:
                for event in step["events"]:
                    self.publish(event)
                    self.events_published += 1
            except Exception:  # noqa: BLE001 - the step stays unreleased; the sweep publishes
                self.publish_failures += 1
                log.warning("events of %s deferred to the sweep", step["_id"], exc_info=True)
                continue
            done.append(step)
        return done

    def _finish_batch(self, steps: list[dict]) -> None:
        """Counts (one `$inc` per counter document, marked with the window's step keys),
        follow-ups, release."""
        if not steps:
            return
        increments: dict[str, dict[str, int]] = defaultdict(dict)
        keys: dict[str, list[str]] = defaultdict(list)
        for step in steps:
            for counter_id, paths in self.expand(step["counts"]).items():
                for path, amount in paths.items():
                    increments[counter_id][path] = increments[counter_id].get(path, 0) + amount
                keys[counter_id].append(step["_id"])
        self.windows += 1
        mark = f"{self.instance}:{self.windows}"
        for counter_id, paths in increments.items():
            self.count(counter_id, paths, mark, keys[counter_id])
        for step in steps:
            self.follow(step["follow"])
        for step in steps:
            self._unhold(step)
        names = [listing_name(s["_id"], s["attempt"]) for s in steps if self.listed(s)]
        self.release(self.instance, names, self.release_mark())
        fresh = [self.seq_of(s["collection"], s["doc_id"]) or 0 for s in steps if not self.listed(s)]
        self.drop_marks([(counter_id, mark) for counter_id in keys], max(fresh, default=0))

    def release_mark(self) -> int:
        """Every fresh id up to this one is finished (or was never used)."""
        self.released = min(self.held) - 1 if self.held else self.seq
        return self.released

    def release(self, instance: str, names: list[str], released: int | None = None) -> None:
        update: dict[str, Any] = {"$set": {"seen_at": self.clock()}}
        if names:
            update["$unset"] = {f"pending.{name}": "" for name in names}
        if released is not None:
            update["$max"] = {"released": released}
        self.instances.update_one({"_id": instance}, update)

    def count(self, counter_id: str, increments: Mapping[str, int], mark: str, keys: list[str]) -> None:
        """Add to a counter document, marking it with the keys of the steps added (one mark
        per window, so the update stays small however many steps it carries)."""
        update: dict[str, Any] = {"$inc": dict(increments), "$set": {f"marks.{mark}": list(keys)}}
        finished = self.unmark.pop(counter_id, set()) - {mark}
        if finished:
            update["$unset"] = {f"marks.{m}": "" for m in finished}
        upsert_retrying(self.counters, counter_id, update)

    def drop_marks(self, marks: list[tuple[str, str]], fresh_upto: int = 0) -> None:
        """Marks of steps that have been released, each dropped with this instance's next
        write to its document. Call after the release is written; a mark that also covers
        fresh openings waits until the release mark has passed `fresh_upto` (an older
        opening still held keeps it below, and a dead instance's block is finished again
        from there, so the marks must still be there to find)."""
        self.marks_waiting.append((fresh_upto, marks))
        waiting = []
        for upto, covered in self.marks_waiting:
            if upto > self.released:
                waiting.append((upto, covered))
                continue
            for counter_id, mark in covered:
                self.unmark.setdefault(counter_id, set()).add(mark)
        self.marks_waiting = waiting

    def marked(self, counter_id: str, key: str) -> bool:
        doc = self.counters.find_one({"_id": counter_id}, {"marks": 1})
        marks = (doc or {}).get("marks") or {}
        return any(name == key if keys is True else key in keys for name, keys in marks.items())

    def follow(self, follow_ups: list[Mapping]) -> None:
        """Idempotent writes a step causes once published (e.g. a deadline watch kept or dropped)."""
        for write in follow_ups:
            collection = self.db[write["collection"]]
            if write.get("delete"):
                collection.delete_one({"_id": write["_id"]})
            else:
                collection.replace_one({"_id": write["_id"]}, write["replace"], upsert=True)


class _Duplicate(Exception):
    """The `_id` exists: another writer claimed it first."""


def _refusal(write_error: Mapping) -> Exception:
    if write_error.get("code") == DUPLICATE:
        return _Duplicate(write_error.get("errmsg", "duplicate key"))
    return RuntimeError(f"the database refused the write: {write_error.get('errmsg')} (code {write_error.get('code')})")

"""Every change to a case is one step, `<case_id>:<version>`, written so that a process dying
at any point loses nothing that was answered and repeats no count:

* A new case is claimed by its unique `_id`. Ids for fresh reports come from blocks each
  instance reserves in its `journal_instances` document (one write per `RESERVE` cases);
  ids derived from an external reference are listed as pending there before the write.
  The case is inserted with its `opening` (events, counts, deadline watch), kept as one
  BSON binary: the server never looks inside it, and storing it whole is cheaper.
* A later step is listed as pending (under its key and the attempt's own tag, so that a
  failed attempt stays listed whatever later attempts at the same version do), then inserted
  into `case_steps`, whose unique `_id`
  makes exactly one of two writers at the same version win (the other gets `CaseChanged`),
  then applied to the case (`$set` + the timeline entry pushed).
* The caller is answered; a publisher thread relays the step's events with publisher
  confirms; a finisher adds up the counts of everything published within `FINISH_WINDOW`
  (one `$inc` per counter document, marked with the window's step keys), sets deadline watches, and
  releases the steps: pending entries removed, the reserved block's `released` mark moved.

Steps arriving together are written together (one insert of cases, one of steps, one bulk of
updates). What a dead instance left unfinished is finished by the sweep of another
(`services.cases.recovery`).
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
from bson.binary import Binary
from bson.codec_options import CodecOptions
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from eventlet.semaphore import Semaphore
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from services.cases import counting
from services.cases.exceptions import CaseChanged
from shared.clock import utcnow
from shared.ids import new_id
from shared.writes import upsert_retrying

log = logging.getLogger(__name__)
AWARE = CodecOptions(tz_aware=True)
BATCH = 200
RESERVE = 100  # fresh case ids reserved per write of the instance document
FINISH_WINDOW = 0.5  # seconds: statistics read through another instance lag a command by about this much
RECORDED_IN_CASE = ("create", "set", "entry")  # a step document keeps only what finishing it needs


def pack(record: Mapping) -> Binary:
    return Binary(bson.encode(record))


def unpack(value: Binary | Mapping | None) -> dict:
    """A record stored with `pack` (or, from before it was packed, as a plain document)."""
    if value is None:
        return {}
    return bson.decode(value, codec_options=AWARE) if isinstance(value, bytes) else dict(value)


def changed(case_id: str) -> CaseChanged:
    return CaseChanged(f"case {case_id} changed meanwhile",
                       [{"field": "case_id", "reason": "changed meanwhile; reload and retry"}])


class Journal:
    def __init__(self, db: Database, publish: Callable[[dict], None], takeover_seconds: float = 30,
                 clock: Callable[[], datetime] = utcnow):
        self.steps, self.claims, self.instances = db["case_steps"], db["step_claims"], db["journal_instances"]
        self.cases, self.counters, self.watches = db["cases"], db["counters"], db["deadline_watches"]
        self.publish = publish
        self.takeover = timedelta(seconds=takeover_seconds)
        self.clock = clock
        self.instance = new_id("journal")
        self.prefix = f"case_{os.urandom(6).hex()}"
        self.seq = self.reserved = self.released = 0
        self.held: dict[int, datetime] = {}  # fresh case ids handed out, not yet finished: `released` stays below
        self.reserving = Semaphore()
        self.unmark: dict[str, set[str]] = {}  # counter doc → marks of released steps, dropped on its next write
        self.windows = 0  # finishing windows so far; each names its mark on the counter documents
        self.queued = self.settled = 0  # steps this instance has queued; of those, finished or given up
        self.marks_waiting: list[tuple[int, list[tuple[str, str]]]] = []  # (fresh id to be released, marks)
        self.pending: LightQueue | None = None
        self.hurry = LightQueue()  # a statistics read wants the open window finished now

    def start(self, spawn: Callable[..., Any]) -> None:
        """Write, publish and finish steps in batches on background threads from now on."""
        self.pending, written, published = LightQueue(), LightQueue(), LightQueue()
        spawn(lambda: self._write_forever(written), identifier="journal_writer")
        spawn(lambda: self._publish_forever(written, published), identifier="journal_publisher")
        spawn(lambda: self._finish_forever(published), identifier="journal_finisher")

    def new_case_id(self) -> str:
        """A fresh case id from this instance's reserved block."""
        with self.reserving:
            if self.seq >= self.reserved:
                upto = self.seq + RESERVE
                self.instances.update_one({"_id": self.instance}, {"$set": {
                    "prefix": self.prefix, "upto": upto, "released": self.released, "seen_at": self.clock()}},
                    upsert=True)
                self.reserved = upto
            self.seq += 1
            self.held[self.seq] = self.clock()
            return f"{self.prefix}{self.seq:08x}"

    def commit(self, step: dict) -> None:
        """Run a new step; returns once it is saved (its events follow at once), or raises
        `CaseChanged` when another writer took the case or this version first."""
        self.queued += 1
        if self.pending is None:
            try:
                self._finish_batch(self._publish(self._write_batch([(step, None)])))
            finally:
                self.settled += 1
            return
        done = Event()
        self.pending.put((step, done))
        done.wait()

    def settle(self, timeout: float = 2.0) -> None:
        """Wait until every step this instance has answered for is finished (its counts
        added), so a read of statistics right after a command includes it."""
        deadline = eventlet.hubs.get_hub().clock() + timeout
        target = self.queued  # steps go through in order, so these are the first `target` to settle
        while self.settled < target and eventlet.hubs.get_hub().clock() < deadline:
            if self.hurry.empty():
                self.hurry.put(None)
            eventlet.sleep(0.01)

    @property
    def in_flight(self) -> int:
        """Steps queued and not yet finished or given up."""
        return self.queued - self.settled

    def seq_of(self, case_id: str) -> int | None:
        """The block number of a case id this instance reserved, else None."""
        return int(case_id[len(self.prefix):], 16) if case_id.startswith(self.prefix) else None

    @staticmethod
    def pending_key(step: Mapping) -> str:
        """The step's entry on the pending list: its key and this attempt's tag."""
        return f"{step['_id']}~{step['attempt']}"

    def _listed(self, step: Mapping) -> bool:
        """Whether a step goes on the pending list: every step but a new case with a reserved id
        (the reserved block and its release mark account for those)."""
        return step["version"] > 1 or self.seq_of(step["case_id"]) is None

    def _unhold(self, step: Mapping) -> None:
        self.held.pop(self.seq_of(step["case_id"]) or 0, None)

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
        while True:
            batch = written.get()
            while not written.empty():
                batch.extend(written.get_nowait())
            done = self._publish(batch)
            self.settled += len(batch) - len(done)
            published.put(done)

    def _finish_forever(self, published: LightQueue) -> None:
        """Counts and release of everything published within `FINISH_WINDOW` (or until a
        statistics read hurries it): one `$inc` per counter document for the whole window,
        however many cases it saw."""
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

    def _write_batch(self, batch: list[tuple[dict, Event | None]]) -> list[dict]:
        """Claim and write a batch; answers each waiter; returns the steps written."""
        now = self.clock()
        stamped = [{**step, "at": now, "writer": self.instance, "attempt": os.urandom(4).hex()} for step, _ in batch]
        listed = [self.pending_key(s) for s in stamped if self._listed(s)]
        if listed:
            self.instances.update_one({"_id": self.instance}, {"$set": {
                "seen_at": now, **{f"pending.{k}": now for k in listed}}}, upsert=True)
        creates = [i for i, s in enumerate(stamped) if s["version"] == 1]
        lost = {creates[i] for i in self._insert(self.cases, [self._opened(stamped[i]) for i in creates])}
        updates = [i for i, s in enumerate(stamped) if s["version"] > 1]
        refused = self._insert(self.steps, [{k: v for k, v in stamped[i].items() if k not in RECORDED_IN_CASE}
                                            for i in updates])
        lost |= {updates[i] for i in refused}
        applied = [UpdateOne({"_id": stamped[i]["case_id"]}, {"$set": stamped[i]["set"],
                                                              "$push": {"timeline": stamped[i]["entry"]}})
                   for i in updates if i not in lost]
        if applied:
            self.cases.bulk_write(applied, ordered=False)
        self._forget([stamped[i] for i in lost])
        for i, (step, waiter) in enumerate(batch):
            outcome = changed(step["case_id"]) if i in lost else None
            if waiter is None and outcome:
                raise outcome
            if waiter is not None:
                waiter.send_exception(outcome) if outcome else waiter.send(None)
        return [s for i, s in enumerate(stamped) if i not in lost]

    def _opened(self, step: Mapping) -> dict:
        """A new case carries what finishing its first step needs."""
        return {**step["create"], "opening": pack({k: step[k] for k in ("events", "counts", "watch", "writer")})}

    def _forget(self, lost: list[dict]) -> None:
        """Steps another writer beat: off the pending list, and no hold on the release mark."""
        for step in lost:
            self._unhold(step)
        keys = [self.pending_key(s) for s in lost if self._listed(s)]
        if keys:
            self.release(self.instance, keys)

    def _insert(self, collection, docs: list[dict]) -> set[int]:
        """Insert what can be; returns the indexes refused as duplicates."""
        if not docs:
            return set()
        try:
            collection.insert_many(docs, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            return {e["index"] for e in errors}
        return set()

    def _publish(self, steps: list[dict]) -> list[dict]:
        """Publish each step's events; a step whose events could not be published stays
        unreleased for the sweep and is not finished here."""
        done = []
        for step in steps:
            try:
                for event in step["events"]:
                    self.publish(event)
            except Exception:  # noqa: BLE001 - the step stays unreleased; the sweep publishes
                log.warning("events of %s deferred to the sweep", step["_id"], exc_info=True)
                continue
            done.append(step)
        return done

    def _finish_batch(self, steps: list[dict]) -> None:
        """Counts (one `$inc` per counter document, marked with the window's step keys),
        watches, release."""
        if not steps:
            return
        increments: dict[str, dict[str, int]] = defaultdict(dict)
        keys: dict[str, list[str]] = defaultdict(list)
        for step in steps:
            for counter_id, paths in counting.expand(step["counts"]).items():
                for path, amount in paths.items():
                    increments[counter_id][path] = increments[counter_id].get(path, 0) + amount
                keys[counter_id].append(step["_id"])
        self.windows += 1
        mark = f"{self.instance}:{self.windows}"
        for counter_id, paths in increments.items():
            self.count(counter_id, paths, mark, keys[counter_id])
        for step in steps:
            self.watch(step)
        for step in steps:
            self._unhold(step)
        self.release(self.instance, [self.pending_key(s) for s in steps if self._listed(s)], self.release_mark())
        fresh = [self.seq_of(s["case_id"]) or 0 for s in steps if not self._listed(s)]
        self.drop_marks([(counter_id, mark) for counter_id in keys], max(fresh, default=0))

    def release_mark(self) -> int:
        """Every fresh id up to this one is finished (or was never used)."""
        self.released = min(self.held) - 1 if self.held else self.seq
        return self.released

    def release(self, instance: str, keys: list[str], released: int | None = None) -> None:
        update: dict[str, Any] = {"$set": {"seen_at": self.clock()}}
        if keys:
            update["$unset"] = {f"pending.{k}": "" for k in keys}
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

    def watch(self, step: Mapping) -> None:
        watch = step.get("watch")
        if watch == "drop":
            self.watches.delete_one({"_id": step["case_id"]})
        elif watch:
            self.watches.replace_one({"_id": step["case_id"]}, watch, upsert=True)

"""The journal: every change that causes events goes through `Journal.commit`.

A step is one change to one document, at the document's next `version`:

    {"collection": "cases", "doc_id": "case_1f", "version": 3,
     "update": {"$set": {...}, "$push": {...}},      # or "create": the whole document (version 1)
     "when": {"status": "appointed"},                # optional: only while the document matches
     "events": [envelope, ...],                      # published after the write, confirmed
     "counts": {...},                                # counter increments, added once (see `expand`)
     "follow": [{"collection": c, "_id": i, "replace": doc} | {..., "delete": True}]}  # optional "version"

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
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.clock import utcnow
from shared.journal.counters import Counters, Expand, Marks, counts_as_given
from shared.journal.ledger import Ledger
from shared.journal.records import VersionTaken, step_key
from shared.journal.writing import BatchWriter

log = logging.getLogger(__name__)
BATCH = 200
FINISH_WINDOW = 0.5  # seconds: counts read through another instance lag a command by about this much
PUBLISH_RETRY_MAX = 5.0  # seconds: longest wait between tries to publish what the broker refused


def _key_of(step: Mapping) -> str | None:
    try:
        return step_key(step["collection"], step["doc_id"], step["version"])
    except (KeyError, TypeError):
        return None  # a malformed step fails in the writer, alone


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
        self.publish = publish
        self.clock = clock
        self.takeover = timedelta(seconds=takeover_seconds)
        self.ledger = Ledger(db["journal_instances"], fresh_collection, clock)
        self.writer = BatchWriter(db, self.ledger, on_clash)
        self.counters = Counters(db[counters], expand)
        self.windows = 0  # finishing windows so far; each names its mark on the counter documents
        self.queued = self.settled = 0  # steps queued here; of those, finished or given up
        self.events_published = self.publish_failures = 0
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
        return self.ledger.new_id()

    def commit(self, step: dict) -> None:
        """Write a step; returns once it is saved (its events follow at once). Raises
        `on_clash(step)` when another writer took the version first, `NotApplied` when its
        `when` conditions no longer held, or the error that kept this step from being written."""
        self.queued += 1
        if self.pending is None:  # not started: one step at a time, finished before returning
            written: list[dict] = []
            try:
                written = self._write_batch([(step, None)])
                self._finish_batch(self._publish_all(written))
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

    @property
    def idle(self) -> bool:
        """Nothing queued here is unfinished, and no fresh document created here is held."""
        return self.in_flight == 0 and not self.ledger.held

    def state(self) -> dict:
        """Steps whose events may be unpublished (listed by any instance, or opened here and
        not finished), the oldest one's age, and this instance's publishing so far."""
        now = self.clock()
        pages = self.ledger.pages()
        since = [at for page in pages for at in (page.get("pending") or {}).values()]
        since += list(self.ledger.held.values())
        return {"unfinished_steps": len(since),
                "oldest_unfinished_seconds": round((now - min(since)).total_seconds(), 3) if since else 0.0,
                "in_flight_here": self.in_flight, "waiting_for_broker_here": len(self.unpublished),
                "events_published_here": self.events_published, "publish_failures_here": self.publish_failures,
                "instances": len(pages)}

    # -- what the sweep uses ---------------------------------------------------------------

    def is_underway(self, key: str) -> bool:
        """Whether this instance is still publishing or finishing the step."""
        return key in self.underway

    def document(self, collection: str, doc_id: str, fields: Mapping[str, int]) -> dict | None:
        return self.db[collection].find_one({"_id": doc_id}, fields)

    def finish_again(self, key: str, record: Mapping) -> Marks:
        """Finish a step another process left: publish its events (again), add its counts
        where no mark shows them added, follow up. Returns the marks set."""
        for event in record["events"]:
            self.publish(event)
        marks = self.counters.add_once(key, record["counts"])
        self.follow(record.get("follow") or [])
        return marks

    def follow(self, follow_ups: list[Mapping]) -> None:
        """Idempotent writes a step causes once published (e.g. a deadline watch kept or dropped).
        With `version`, the write never undoes a later step's: a document written by a step of a
        higher version is left as it is (steps of one document may finish out of order)."""
        for write in follow_ups:
            collection = self.db[write["collection"]]
            version = write.get("version")
            newer = {} if version is None else {"version": {"$lte": version}}
            if write.get("delete"):
                collection.delete_one({"_id": write["_id"], **newer})
                continue
            with contextlib.suppress(DuplicateKeyError):  # raised when a later step's document is there
                collection.replace_one({"_id": write["_id"], **newer},
                                       {**write["replace"], **({} if version is None else {"version": version})},
                                       upsert=True)

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
        (in order) and try again after 0.5 s, 1 s, 2 s… up to `PUBLISH_RETRY_MAX` seconds,
        for at most a third of the takeover time: then they are the sweep's."""
        waiting: list[dict] = []
        delay = 0.0
        while True:
            batch = waiting
            with contextlib.suppress(Empty):
                batch = batch + written.get(timeout=delay if waiting else None)
            while not written.empty():
                batch.extend(written.get_nowait())
            done, waiting = self._publish_in_order(batch)
            waiting = self._give_up_on_old(waiting)
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

    # -- the three stages ------------------------------------------------------------------

    def _write_batch(self, batch: list[tuple[dict, Event | None]]) -> list[dict]:
        """Claim and write a batch; answers each waiter; returns the steps written. The steps
        are underway from before they are listed, so this instance's sweep never voids a step
        whose write is merely slow (the database restarting, say)."""
        keys = {_key_of(step) for step, _ in batch} - {None}
        self.underway |= keys
        try:
            outcome, stamped = self.writer.write([step for step, _ in batch], self.clock())
        finally:
            self.underway -= keys
        for i, (_, waiter) in enumerate(batch):
            error = outcome.get(i)
            if waiter is None and error is not None:
                raise error
            if waiter is not None:
                waiter.send_exception(error) if error is not None else waiter.send(None)
        written = [s for i, s in stamped.items() if outcome.get(i) is None]
        self.underway.update(s["_id"] for s in written)
        return written

    def _give_up_on_old(self, waiting: list[dict]) -> list[dict]:
        """Steps written longer ago than a third of the takeover time are let go unreleased, for
        a sweep to finish: no step stays in this process's hands long enough for another
        instance's sweep to take it too."""
        now = self.clock()
        old = [s for s in waiting if now - s["at"] > self.takeover / 3]
        if not old:
            return waiting
        log.warning("events of %d steps left to the sweep: the broker did not take them", len(old))
        self.settled += len(old)
        self.underway.difference_update(s["_id"] for s in old)
        return waiting[len(old):] if waiting[:len(old)] == old else [s for s in waiting if s not in old]

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

    def _publish_all(self, steps: list[dict]) -> list[dict]:
        """Publish each step's events now; one that cannot be published is left to the sweep."""
        done, left = self._publish_in_order(steps)
        return done if not left else done + self._publish_all(left[1:])

    def _finish_batch(self, steps: list[dict]) -> None:
        """Counts (one `$inc` per counter document, marked with the window's step keys),
        follow-ups, release."""
        if not steps:
            return
        self.windows += 1
        marks = self.counters.add_window(steps, f"{self.ledger.instance}:{self.windows}")
        for step in steps:
            self.follow(step["follow"])
        self.ledger.release(steps)
        fresh = [self.ledger.seq_of(s["collection"], s["doc_id"]) or 0 for s in steps if not self.ledger.listed(s)]
        self.counters.drop(marks, self.ledger.released, max(fresh, default=0))

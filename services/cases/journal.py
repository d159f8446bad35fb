"""Every change to a case is one step, `<case_id>:<version>`:

1. the writing instance lists the step as pending in its own `journal_instances` document;
2. the step is inserted into `case_steps`; its `_id` is unique, so of two writers at the same
   version exactly one wins (the other gets `CaseChanged`); steps stay as the case's history;
3. the case document is written (new, or `$set` + the timeline entry pushed), in one write;
   the caller is answered;
4. the step's events are published with publisher confirms;
5. its counts are added to the counter documents, each marked with the step's key, its
   deadline watch is set or dropped, and it is taken off the instance's pending list.

Steps that arrive together are written together (group commit: one pending-list update, one
`insert_many` of steps, one of new cases, one bulk of updates); a publisher thread relays
their events in order, and a finisher adds up the counts of everything published within
`FINISH_WINDOW` (one `$inc` per counter document) and releases those steps at once.

A process that dies part way leaves pending steps; the sweep of any instance claims each
step pending for longer than `takeover_seconds` and finishes it: counts only if the counter
document lacks the step's mark, events perhaps again (consumers drop repeated `event_id`s).
A step whose case write never happened was never answered: it is void and deleted.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import eventlet
from eventlet.event import Event
from eventlet.queue import LightQueue
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.cases.exceptions import CaseChanged
from shared.clock import utcnow
from shared.ids import new_id

log = logging.getLogger(__name__)
BATCH = 200
RECORDED_IN_CASE = ("create", "set", "entry")  # a step keeps only what finishing it needs
FINISH_WINDOW = 0.1  # seconds: statistics lag the answer to a command by about this much


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
        self.unmark: dict[str, set[str]] = {}  # counter doc → marks of finished steps, dropped on its next write
        self.pending: LightQueue | None = None
        self.written: LightQueue | None = None
        self.published: LightQueue | None = None
        self.in_flight = 0  # steps this instance has queued and not yet finished or given up

    def start(self, spawn: Callable[..., Any]) -> None:
        """Write, publish and finish steps in batches on background threads from now on."""
        self.pending, self.written, self.published = LightQueue(), LightQueue(), LightQueue()
        spawn(self._write_forever, identifier="journal_writer")
        spawn(self._publish_forever, identifier="journal_publisher")
        spawn(self._finish_forever, identifier="journal_finisher")

    def commit(self, step: dict) -> None:
        """Run a new step; returns once it is saved (its events follow at once), or raises
        `CaseChanged` when another writer took this version first."""
        if self.pending is None:
            self._finish_batch(self._publish(self._write_batch([(step, None)])))
            return
        done = Event()
        self.in_flight += 1
        self.pending.put((step, done))
        done.wait()

    def settle(self, timeout: float = 2.0) -> None:
        """Wait until every step this instance has answered for is finished (its counts
        added), so a read of statistics right after a command includes it."""
        deadline = eventlet.hubs.get_hub().clock() + timeout
        while self.in_flight > 0 and eventlet.hubs.get_hub().clock() < deadline:
            eventlet.sleep(0.01)

    def unfinished(self) -> list[str]:
        """Every step some instance has not finished yet."""
        return [key for doc in self.instances.find({}) for key in doc.get("pending") or {}]

    def sweep(self) -> int:
        """Finish every step pending for longer than the takeover time; returns how many."""
        finished = 0
        cutoff = self.clock() - self.takeover
        self.instances.update_one({"_id": self.instance}, {"$set": {"seen_at": self.clock()}}, upsert=True)
        for instance in list(self.instances.find({})):
            for key, since in (instance.get("pending") or {}).items():
                if since > cutoff:
                    continue
                step = self.steps.find_one({"_id": key})
                if step is None or step.get("writer") != instance["_id"]:  # refused as a duplicate
                    self._release(instance["_id"], [key])
                elif self._claim(step):
                    self._recover(step)
                    self._release(instance["_id"], [key])
                    finished += 1
        return finished

    def _write_forever(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < BATCH and not self.pending.empty():
                batch.append(self.pending.get_nowait())
            try:
                written = self._write_batch(batch)
                self.in_flight -= len(batch) - len(written)
                self.written.put(written)
            except Exception as error:  # noqa: BLE001 - every waiter hears of it; steps left are swept
                self.in_flight -= len(batch)
                log.warning("writing %d steps failed", len(batch), exc_info=True)
                for _, done in batch:
                    if not done.ready():
                        done.send_exception(error)

    def _publish_forever(self) -> None:
        while True:
            batch = self.written.get()
            while not self.written.empty():
                batch.extend(self.written.get_nowait())
            published = self._publish(batch)
            self.in_flight -= len(batch) - len(published)
            self.published.put(published)

    def _finish_forever(self) -> None:
        """Counts and release of everything published within `FINISH_WINDOW`: one `$inc`
        per counter document for the whole window, however many cases it saw."""
        while True:
            batch = self.published.get()
            eventlet.sleep(FINISH_WINDOW)
            while not self.published.empty():
                batch.extend(self.published.get_nowait())
            try:
                self._finish_batch(batch)
            except Exception:  # noqa: BLE001 - the steps stay pending and the sweep finishes them
                log.warning("finishing %d steps deferred to the sweep", len(batch), exc_info=True)
            finally:
                self.in_flight -= len(batch)

    def _write_batch(self, batch: list[tuple[dict, Event | None]]) -> list[dict]:
        """Steps 1-3 for a batch; answers each waiter; returns the steps written."""
        now = self.clock()
        stamped = [{**step, "at": now, "writer": self.instance} for step, _ in batch]
        keys = [s["_id"] for s in stamped]
        self.instances.update_one({"_id": self.instance},
                                  {"$set": {"seen_at": now, **{f"pending.{k}": now for k in keys}}}, upsert=True)
        lost = self._insert(self.steps, [{k: v for k, v in s.items() if k not in RECORDED_IN_CASE} for s in stamped])
        creates = [s for i, s in enumerate(stamped) if i not in lost and s["version"] == 1]
        duplicates = self._insert(self.cases, [s["create"] for s in creates])
        lost |= {stamped.index(creates[i]) for i in duplicates}
        updates = [UpdateOne({"_id": s["case_id"]}, {"$set": s["set"], "$push": {"timeline": s["entry"]}})
                   for i, s in enumerate(stamped) if i not in lost and s["version"] > 1]
        if updates:
            self.cases.bulk_write(updates, ordered=False)
        if lost:
            for i in duplicates:  # the case exists already: this step must never be finished by anyone
                self.steps.update_one({"_id": creates[i]["_id"]}, {"$set": {"writer": None}})
            self._release(self.instance, [stamped[i]["_id"] for i in lost])
        for i, (step, done) in enumerate(batch):
            outcome = changed(step["case_id"]) if i in lost else None
            if done is None and outcome:
                raise outcome
            if done is not None:
                done.send_exception(outcome) if outcome else done.send(None)
        return [s for i, s in enumerate(stamped) if i not in lost]

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
        pending for the sweep and is not finished here."""
        done = []
        for step in steps:
            try:
                for event in step["events"]:
                    self.publish(event)
            except Exception:  # noqa: BLE001 - the step stays pending; the sweep publishes
                log.warning("events of %s deferred to the sweep", step["_id"], exc_info=True)
                continue
            done.append(step)
        return done

    def _finish_batch(self, steps: list[dict]) -> None:
        """Step 5 for a batch: one `$inc` per counter document, watches, one release."""
        if not steps:
            return
        increments: dict[str, dict[str, int]] = defaultdict(dict)
        keys: dict[str, list[str]] = defaultdict(list)
        for step in steps:
            for counter_id, paths in step["counts"].items():
                for inc in paths:
                    increments[counter_id][inc["path"]] = increments[counter_id].get(inc["path"], 0) + inc["by"]
                keys[counter_id].append(step["_id"])
        for counter_id, paths in increments.items():
            self._count(counter_id, paths, keys[counter_id])
        for step in steps:
            self._watch(step)
        self._release(self.instance, [s["_id"] for s in steps])
        for counter_id, finished in keys.items():
            self.unmark.setdefault(counter_id, set()).update(finished)

    def _release(self, instance: str, keys: list[str]) -> None:
        self.instances.update_one({"_id": instance}, {"$unset": {f"pending.{k}": "" for k in keys},
                                                      "$set": {"seen_at": self.clock()}})

    def _recover(self, step: Mapping) -> None:
        """Finish a step whose writer stopped. A step whose case write never happened was never
        answered either: it is void, and its version is freed for the next writer."""
        case = self.cases.find_one({"_id": step["case_id"]}, {"version": 1})
        if case is None or case["version"] < step["version"]:
            self.steps.delete_one({"_id": step["_id"]})
            return
        for event in step["events"]:
            self.publish(event)
        for counter_id, paths in step["counts"].items():
            if not self._marked(counter_id, step["_id"]):
                self._count(counter_id, {i["path"]: i["by"] for i in paths}, [step["_id"]])
        self._watch(step)

    def _count(self, counter_id: str, increments: Mapping[str, int], keys: list[str]) -> None:
        update: dict[str, Any] = {"$inc": dict(increments), "$set": {f"marks.{k}": True for k in keys}}
        finished = self.unmark.pop(counter_id, set()) - set(keys)
        if finished:
            update["$unset"] = {f"marks.{k}": "" for k in finished}
        upsert_retrying(self.counters, counter_id, update)

    def _marked(self, counter_id: str, key: str) -> bool:
        doc = self.counters.find_one({"_id": counter_id}, {f"marks.{key}": 1})
        return bool(doc and (doc.get("marks") or {}).get(key))

    def _watch(self, step: Mapping) -> None:
        watch = step.get("watch")
        if watch == "drop":
            self.watches.delete_one({"_id": step["case_id"]})
        elif watch:
            self.watches.replace_one({"_id": step["case_id"]}, watch, upsert=True)

    def _claim(self, step: Mapping) -> bool:
        """Exactly one sweeper wins a stale step: claims are unique per step and attempt."""
        base = f"{step['_id']}@{step['at'].isoformat()}"
        for attempt in range(100):
            try:
                self.claims.insert_one({"_id": f"{base}#{attempt}", "at": self.clock()})
            except DuplicateKeyError:
                claim = self.claims.find_one({"_id": f"{base}#{attempt}"})
                if claim and claim["at"] > self.clock() - self.takeover:
                    return False
                continue
            return True
        return False


def upsert_retrying(collection, doc_id: str, update: Mapping) -> None:
    """An upsert that survives the race of two writers creating the same document at once
    (one of them gets a duplicate key error; the retry updates the document the other made)."""
    try:
        collection.update_one({"_id": doc_id}, update, upsert=True)
    except DuplicateKeyError:
        collection.update_one({"_id": doc_id}, update, upsert=True)

"""Every change to a case is one step, `<case_id>:<version>`, kept until all its effects
are done:

1. the step is inserted; its `_id` is unique, so of two writers at the same version
   exactly one wins (the other gets `CaseChanged`);
2. the case document is written (new, or `$set` + the timeline entry pushed), in one write;
3. the step's events are published with publisher confirms, and the caller is answered;
4. its counts are added to the counter documents, each marked with the step's key, its
   deadline watch is set or dropped, and the step is deleted.

Steps that arrive together are written together (group commit: one `insert_many` of steps,
one of new cases, one bulk of updates; later one `$inc` per counter document and one delete
for the batch). A process that dies part way leaves steps behind; the sweep of any instance
claims each after `takeover_seconds` and finishes it: the case is written only if still at
the older version, counts only if the counter document lacks the step's mark, and events may
be published again (consumers drop repeated `event_id`s).
"""

import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from eventlet.event import Event
from eventlet.queue import LightQueue
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.cases.exceptions import CaseChanged
from shared.clock import utcnow

log = logging.getLogger(__name__)
BATCH = 200


def changed(case_id: str) -> CaseChanged:
    return CaseChanged(f"case {case_id} changed meanwhile",
                       [{"field": "case_id", "reason": "changed meanwhile; reload and retry"}])


class Journal:
    def __init__(self, db: Database, publish: Callable[[dict], None], takeover_seconds: float = 30,
                 clock: Callable[[], datetime] = utcnow):
        self.steps, self.claims = db["case_steps"], db["step_claims"]
        self.cases, self.counters, self.watches = db["cases"], db["counters"], db["deadline_watches"]
        self.publish = publish
        self.takeover = timedelta(seconds=takeover_seconds)
        self.clock = clock
        self.unmark: dict[str, set[str]] = {}  # counter doc → marks of finished steps, dropped on its next write
        self.pending: LightQueue | None = None
        self.written: LightQueue | None = None

    def start(self, spawn: Callable[..., Any]) -> None:
        """Write and finish steps in batches on two background threads from now on."""
        self.pending, self.written = LightQueue(), LightQueue()
        spawn(self._write_forever, identifier="journal_writer")
        spawn(self._finish_forever, identifier="journal_finisher")

    def commit(self, step: dict) -> None:
        """Run a new step; returns once it is saved and its events published, or raises
        `CaseChanged` when another writer took this version first."""
        if self.pending is None:
            self._finish_batch(self._write_batch([(step, None)]))
            return
        done = Event()
        self.pending.put((step, done))
        done.wait()

    def sweep(self) -> int:
        """Finish every step left behind for longer than the takeover time; returns how many."""
        finished = 0
        cutoff = self.clock() - self.takeover
        for step in list(self.steps.find({})):
            if step["at"] > cutoff or not self._claim(step):
                continue
            self._recover(step)
            finished += 1
        return finished

    def _write_forever(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < BATCH and not self.pending.empty():
                batch.append(self.pending.get_nowait())
            try:
                self.written.put(self._write_batch(batch))
            except Exception as error:  # noqa: BLE001 - every waiter hears of it; steps left are swept
                log.warning("writing %d steps failed", len(batch), exc_info=True)
                for _, done in batch:
                    if not done.ready():
                        done.send_exception(error)

    def _finish_forever(self) -> None:
        while True:
            batch = self.written.get()
            while len(batch) < BATCH and not self.written.empty():
                batch.extend(self.written.get_nowait())
            try:
                self._finish_batch(batch)
            except Exception:  # noqa: BLE001 - the steps stay and the sweep finishes them
                log.warning("finishing %d steps deferred to the sweep", len(batch), exc_info=True)

    def _write_batch(self, batch: list[tuple[dict, Event | None]]) -> list[dict]:
        """Steps 1-3 for a batch; answers each waiter; returns the steps written."""
        now = self.clock()
        stamped = [{**step, "at": now} for step, _ in batch]
        lost = self._insert(self.steps, stamped)
        creates = [s for i, s in enumerate(stamped) if i not in lost and s["version"] == 1]
        duplicates = self._insert(self.cases, [s["create"] for s in creates])
        lost |= {stamped.index(creates[i]) for i in duplicates}
        if duplicates:
            self.steps.delete_many({"_id": {"$in": [creates[i]["_id"] for i in duplicates]}})
        updates = [UpdateOne({"_id": s["case_id"]}, {"$set": s["set"], "$push": {"timeline": s["entry"]}})
                   for i, s in enumerate(stamped) if i not in lost and s["version"] > 1]
        if updates:
            self.cases.bulk_write(updates, ordered=False)
        written = [s for i, s in enumerate(stamped) if i not in lost]
        published = self._publish(written)
        for i, (step, done) in enumerate(batch):
            outcome = changed(step["case_id"]) if i in lost else None
            if done is None and outcome:
                raise outcome
            if done is not None:
                done.send_exception(outcome) if outcome else done.send(None)
        return published

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
        """Publish each step's events; a step whose events could not be published is left
        for the sweep and not finished here."""
        done = []
        for step in steps:
            try:
                for event in step["events"]:
                    self.publish(event)
            except Exception:  # noqa: BLE001 - the step stays; the sweep publishes
                log.warning("events of %s deferred to the sweep", step["_id"], exc_info=True)
                continue
            done.append(step)
        return done

    def _finish_batch(self, steps: list[dict]) -> None:
        """Step 4 for a batch: one `$inc` per counter document, watches, one delete."""
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
        self.steps.delete_many({"_id": {"$in": [s["_id"] for s in steps]}})
        for counter_id, finished in keys.items():
            self.unmark.setdefault(counter_id, set()).update(finished)

    def _recover(self, step: Mapping) -> None:
        if step["version"] == 1:
            with contextlib.suppress(DuplicateKeyError):
                self.cases.insert_one(dict(step["create"]))
        else:
            current = self.cases.find_one({"_id": step["case_id"]}, {"version": 1})
            if current is not None and current["version"] < step["version"]:
                self.cases.update_one({"_id": step["case_id"]},
                                      {"$set": step["set"], "$push": {"timeline": step["entry"]}})
        for event in step["events"]:
            self.publish(event)
        for counter_id, paths in step["counts"].items():
            if not self._marked(counter_id, step["_id"]):
                self._count(counter_id, {i["path"]: i["by"] for i in paths}, [step["_id"]])
        self._watch(step)
        self.steps.delete_one({"_id": step["_id"]})

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

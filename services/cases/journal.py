"""Every change to a case is one step, `<case_id>:<version>`, kept until all its effects
are done:

1. the step is inserted; its `_id` is unique, so of two writers at the same version
   exactly one wins (the other gets `CaseChanged`);
2. the case document is written (new, or `$set` + the timeline entry pushed), in one write;
3. the step's events are published with publisher confirms;
4. its counts are added to the counter documents, each marked with the step's key;
5. its deadline watch is set or dropped, then the step is deleted.

A process that dies part way leaves the step behind; the sweep of any instance claims it
after `takeover_seconds` and finishes it: the case is written only if still at the older
version, counts only if the counter document lacks the step's mark, and events may be
published again (consumers drop repeated `event_id`s).
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.cases.exceptions import CaseChanged
from shared.clock import utcnow

log = logging.getLogger(__name__)


class Journal:
    def __init__(self, db: Database, publish: Callable[[dict], None], takeover_seconds: float = 30,
                 clock: Callable[[], datetime] = utcnow):
        self.steps, self.claims = db["case_steps"], db["step_claims"]
        self.cases, self.counters, self.watches = db["cases"], db["counters"], db["deadline_watches"]
        self.publish = publish
        self.takeover = timedelta(seconds=takeover_seconds)
        self.clock = clock
        self.unmark: dict[str, set[str]] = {}  # counter doc → marks of finished steps, dropped on its next write

    def commit(self, step: dict) -> None:
        """Run a new step; `CaseChanged` when another writer took this version first."""
        try:
            self.steps.insert_one({**step, "at": self.clock()})
        except DuplicateKeyError:
            raise CaseChanged(f"case {step['case_id']} changed meanwhile",
                              [{"field": "case_id", "reason": "changed meanwhile; reload and retry"}]) from None
        self._apply(step)
        try:
            self._finish(step, recovering=False)
        except Exception:  # noqa: BLE001 - the case is saved; the sweep finishes the rest
            log.warning("step %s deferred to the sweep", step["_id"], exc_info=True)

    def sweep(self) -> int:
        """Finish every step left behind for longer than the takeover time; returns how many."""
        finished = 0
        cutoff = self.clock() - self.takeover
        for step in list(self.steps.find({})):
            if step["at"] > cutoff or not self._claim(step):
                continue
            self._apply(step, recovering=True)
            self._finish(step, recovering=True)
            finished += 1
        return finished

    def _apply(self, step: Mapping, recovering: bool = False) -> None:
        if step["version"] == 1:
            try:
                self.cases.insert_one(dict(step["create"]))
            except DuplicateKeyError:
                if not recovering:
                    raise
            return
        if recovering:
            current = self.cases.find_one({"_id": step["case_id"]}, {"version": 1})
            if current is None or current["version"] >= step["version"]:
                return
        self.cases.update_one({"_id": step["case_id"]}, {"$set": step["set"], "$push": {"timeline": step["entry"]}})

    def _finish(self, step: Mapping, recovering: bool) -> None:
        for event in step["events"]:
            self.publish(event)
        key = step["_id"]
        for counter_id, increments in step["counts"].items():
            if recovering and self._marked(counter_id, key):
                continue
            self._count(counter_id, increments, key)
        self._watch(step)
        self.steps.delete_one({"_id": key})
        for counter_id in step["counts"]:
            self.unmark.setdefault(counter_id, set()).add(key)

    def _count(self, counter_id: str, increments: list[dict], key: str) -> None:
        update: dict[str, Any] = {"$inc": {i["path"]: i["by"] for i in increments}, "$set": {f"marks.{key}": True}}
        finished = self.unmark.pop(counter_id, set()) - {key}
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

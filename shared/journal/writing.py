"""Writing a batch of steps: each claimed (by its record in `journal_steps`, or a fresh
document by its own `_id`), then its document written; a step that cannot be encoded, that
another writer claimed first, or that the database refuses fails alone."""

import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from shared.journal.ledger import Ledger
from shared.journal.records import RECORDED, NotApplied, pack, step_key

DUPLICATE = 11000
Outcome = dict[int, Exception | None]  # batch index → the error that kept the step from being written


class _Duplicate(Exception):
    """The `_id` exists: another writer claimed it first."""


class BatchWriter:
    def __init__(self, db: Database, ledger: Ledger, on_clash: Callable[[Mapping], Exception]):
        self.db = db
        self.steps = db["journal_steps"]
        self.ledger = ledger
        self.on_clash = on_clash

    def write(self, batch: list[dict], now: datetime) -> tuple[Outcome, dict[int, dict]]:
        """Claim and write a batch: (the error of each step not written, the steps stamped)."""
        outcome: Outcome = {}
        stamped: dict[int, dict] = {}
        for i, step in enumerate(batch):
            try:
                stamped[i] = self._stamped(step, now)
            except Exception as error:  # noqa: BLE001 - this step alone fails (e.g. it cannot be encoded)
                outcome[i] = error
        self.ledger.list_pending(stamped.values(), now)
        fresh = {i: s for i, s in stamped.items() if not self.ledger.listed(s)}
        outcome |= self._clashes(fresh, self._insert_by_collection({i: s["created"] for i, s in fresh.items()}, fresh))
        claimed = {i: s for i, s in stamped.items() if i not in fresh}
        outcome |= self._clashes(claimed, self._insert(self.steps, [(i, s["record"]) for i, s in claimed.items()]))
        outcome |= self._apply({i: s for i, s in claimed.items() if i not in outcome})
        failed = [stamped[i] for i, error in outcome.items() if error is not None and i in stamped]
        if failed:
            self.ledger.release(failed, move_mark=False)
        return outcome, stamped

    def record(self, key: str) -> dict | None:
        """A claimed step's record."""
        return self.steps.find_one({"_id": key})

    def void(self, key: str, attempt: str) -> None:
        """A claimed step whose document was never written: its version is free again."""
        self.steps.delete_one({"_id": key, "attempt": attempt})

    def _stamped(self, step: dict, now: datetime) -> dict:
        """The step with its key, time, writer and attempt, and its writes encoded (so that a
        step that cannot be encoded fails here, alone)."""
        key = step_key(step["collection"], step["doc_id"], step["version"])
        stamped = {"events": [], "counts": {}, "follow": [], **step, "_id": key, "at": now,
                   "writer": self.ledger.instance, "attempt": os.urandom(4).hex()}
        if "create" in step:
            created = {**step["create"], "_id": step["doc_id"], "version": step["version"]}
            if not self.ledger.listed(stamped):
                created["opening"] = pack({k: stamped[k] for k in ("events", "counts", "follow", "writer")})
            stamped["created"] = RawBSONDocument(bson.encode(created))
        else:
            bson.encode(step["update"])
        if self.ledger.listed(stamped):
            stamped["record"] = RawBSONDocument(bson.encode({k: stamped[k] for k in RECORDED}))
        return stamped

    def _apply(self, steps: dict[int, dict]) -> Outcome:
        """Write the documents of claimed steps: creates inserted, plain updates in one bulk
        per collection, conditional updates one by one; a step not written frees its claim."""
        outcome: Outcome = {}
        updates: dict[str, list[tuple[int, UpdateOne]]] = defaultdict(list)
        for i, step in steps.items():
            if step.get("when") and "create" not in step:
                outcome[i] = self._apply_when(step)
            elif "create" not in step:
                updates[step["collection"]].append((i, UpdateOne({"_id": step["doc_id"]}, _versioned(step))))
        creates = {i: s["created"] for i, s in steps.items() if "create" in s}
        outcome |= self._insert_by_collection(creates, steps)
        for collection, ops in updates.items():
            outcome |= self._bulk(self.db[collection], ops)
        for i, error in outcome.items():
            if error is not None:
                self.void(steps[i]["_id"], steps[i]["attempt"])
        return self._clashes(steps, outcome)

    def _apply_when(self, step: Mapping) -> Exception | None:
        result = self.db[step["collection"]].update_one({"_id": step["doc_id"], **step["when"]}, _versioned(step))
        return None if result.matched_count else NotApplied(f"{step['_id']}: the conditions no longer held")

    def _clashes(self, steps: Mapping[int, Mapping], outcome: Outcome) -> Outcome:
        """A duplicate `_id` means another writer got there first: the service's own error."""
        return {i: self.on_clash(steps[i]) if isinstance(error, _Duplicate) else error for i, error in outcome.items()}

    def _insert_by_collection(self, docs: Mapping[int, Any], steps: Mapping[int, Mapping]) -> Outcome:
        by_collection: dict[str, list[tuple[int, Any]]] = defaultdict(list)
        for i, doc in docs.items():
            by_collection[steps[i]["collection"]].append((i, doc))
        outcome: Outcome = {}
        for collection, batch in by_collection.items():
            outcome |= self._insert(self.db[collection], batch)
        return outcome

    @staticmethod
    def _insert(collection, docs: list[tuple[int, Any]]) -> Outcome:
        """Insert what can be; returns the error of each document refused."""
        if not docs:
            return {}
        try:
            collection.insert_many([doc for _, doc in docs], ordered=False)
        except BulkWriteError as error:
            return {docs[e["index"]][0]: _refusal(e) for e in error.details.get("writeErrors", [])}
        return {}

    @staticmethod
    def _bulk(collection, ops: list[tuple[int, UpdateOne]]) -> Outcome:
        try:
            collection.bulk_write([op for _, op in ops], ordered=False)
        except BulkWriteError as error:
            return {ops[e["index"]][0]: _refusal(e) for e in error.details.get("writeErrors", [])}
        return {}


def _versioned(step: Mapping) -> dict:
    update = {op: dict(fields) for op, fields in step["update"].items()}
    update.setdefault("$set", {})["version"] = step["version"]
    return update


def _refusal(write_error: Mapping) -> Exception:
    if write_error.get("code") == DUPLICATE:
        return _Duplicate(write_error.get("errmsg", "duplicate key"))
    return RuntimeError(f"the database refused the write: {write_error.get('errmsg')} (code {write_error.get('code')})")

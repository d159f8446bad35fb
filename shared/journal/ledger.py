"""This instance's page in `journal_instances`: the block of fresh ids it reserved, the fresh
documents it has created and not finished (held), and the steps it has listed as pending."""

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from eventlet.semaphore import Semaphore
from pymongo.collection import Collection

from shared.ids import new_id
from shared.journal.records import listing_name, step_key

RESERVE = 100  # fresh ids reserved per write of the instance document


class Ledger:
    def __init__(self, instances: Collection, fresh_collection: str | None, clock: Callable[[], datetime]):
        self.instances = instances
        self.fresh_collection = fresh_collection
        self.clock = clock
        self.instance = new_id("journal")
        self.prefix = f"{fresh_collection or 'doc'}_{os.urandom(6).hex()}"
        self.seq = self.reserved = self.released = 0
        self.held: dict[int, datetime] = {}  # fresh ids handed out, not yet finished: `released` stays below
        self.reserving = Semaphore()

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
            return self.fresh_id(self.seq)

    def fresh_id(self, seq: int, prefix: str | None = None) -> str:
        return f"{prefix or self.prefix}{seq:08x}"

    def fresh_key(self, seq: int) -> str:
        """The key of the first step of this instance's `seq`-th fresh document."""
        return step_key(self.fresh_collection, self.fresh_id(seq), 1)

    def seq_of(self, collection: str, doc_id: str) -> int | None:
        """The block number of an id this instance reserved, else None."""
        if collection != self.fresh_collection or not doc_id.startswith(self.prefix):
            return None
        return int(doc_id[len(self.prefix):], 16)

    def listed(self, step: Mapping) -> bool:
        """Whether a step goes on the pending list: all but a new document with a reserved id
        (the reserved block and its release mark account for those)."""
        return step["version"] > 1 or self.seq_of(step["collection"], step["doc_id"]) is None

    def list_pending(self, steps: Iterable[Mapping], now: datetime) -> None:
        """One write listing every step that needs it, before any of them is written."""
        names = [listing_name(s["_id"], s["attempt"]) for s in steps if self.listed(s)]
        if names:
            self.instances.update_one({"_id": self.instance}, {"$set": {
                "seen_at": now, **{f"pending.{name}": now for name in names}}}, upsert=True)

    def let_go(self, steps: Iterable[Mapping]) -> None:
        """Fresh documents finished, or never written: no hold on the release mark any more."""
        for step in steps:
            self.held.pop(self.seq_of(step["collection"], step["doc_id"]) or 0, None)

    def release(self, steps: list[Mapping], move_mark: bool = True) -> None:
        """Steps finished (or not written): off the pending list, and the release mark moved
        past every fresh id no longer held."""
        self.let_go(steps)
        names = [listing_name(s["_id"], s["attempt"]) for s in steps if self.listed(s)]
        self.write_release(self.instance, names, self.release_mark() if move_mark else None)

    def release_mark(self) -> int:
        """Every fresh id up to this one is finished (or was never used)."""
        self.released = min(self.held) - 1 if self.held else self.seq
        return self.released

    def write_release(self, instance: str, names: list[str], released: int | None = None) -> None:
        update: dict[str, Any] = {"$set": {"seen_at": self.clock()}}
        if names:
            update["$unset"] = {f"pending.{name}": "" for name in names}
        if released is not None:
            update["$max"] = {"released": released}
        self.instances.update_one({"_id": instance}, update)

    def held_since(self, cutoff: datetime) -> list[int]:
        """Fresh ids handed out before `cutoff` and not finished."""
        return [seq for seq, since in self.held.items() if since <= cutoff]

    def holds(self, seq: int) -> bool:
        return seq in self.held

    def lists(self, name: str) -> bool:
        """Whether this instance's page lists `name` now (read from the database)."""
        page = self.instances.find_one({"_id": self.instance}, {"pending": 1}) or {}
        return name in (page.get("pending") or {})

    def unhold(self, seq: int) -> None:
        self.held.pop(seq, None)

    def heartbeat(self) -> None:
        self.instances.update_one({"_id": self.instance}, {"$set": {"seen_at": self.clock()}}, upsert=True)

    def pages(self) -> list[dict]:
        """Every instance's page: its pending list, reserved block and when it was last seen."""
        return list(self.instances.find({}))

    def still_listing(self, instance: str) -> bool:
        page = self.instances.find_one({"_id": instance}, {"pending": 1}) or {}
        return bool(page.get("pending"))

    def forget(self, instance: str) -> None:
        self.instances.delete_one({"_id": instance})

"""Hand-written stand-ins for the idempotent consumer's tests: an in-memory collection with the
few pymongo calls the ledger makes (MongoDB's semantics for them), a clock and a sleep that
move only when told."""

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

COMPARISONS = {"$lte": lambda value, bound: value is not None and value <= bound,
               "$lt": lambda value, bound: value is not None and value < bound,
               "$gt": lambda value, bound: value is not None and value > bound}


def matches(doc: dict, query: dict) -> bool:
    """Equality on fields (a missing field equals None) and `{"$lte"|"$lt"|"$gt": bound}`."""
    for field, wanted in query.items():
        value = doc.get(field)
        if isinstance(wanted, dict):
            if not all(COMPARISONS[op](value, bound) for op, bound in wanted.items()):
                return False
        elif value != wanted:
            return False
    return True


@dataclass
class UpdateResult:
    matched_count: int


class Cursor:
    def __init__(self, docs: list[dict]):
        self.docs = docs

    def sort(self, field: str, direction: int = 1) -> "Cursor":
        self.docs.sort(key=lambda doc: doc.get(field), reverse=direction < 0)
        return self

    def limit(self, count: int) -> "Cursor":
        self.docs = self.docs[:count] if count else self.docs
        return self

    def __iter__(self):
        return iter(self.docs)


class FakeCollection:
    def __init__(self):
        self.docs: dict[str, dict] = {}

    def insert_one(self, doc: dict) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError(f"E11000 duplicate key error: _id {doc['_id']}")
        self.docs[doc["_id"]] = copy.deepcopy(doc)

    def find_one(self, query: dict) -> dict | None:
        return next(iter(self.find(query)), None)

    def find(self, query: dict) -> Cursor:
        return Cursor([copy.deepcopy(doc) for doc in self.docs.values() if matches(doc, query)])

    def count_documents(self, query: dict) -> int:
        return len(self.find(query).docs)

    def update_one(self, query: dict, update: dict) -> UpdateResult:
        doc = next((doc for doc in self.docs.values() if matches(doc, query)), None)
        if doc is None:
            return UpdateResult(0)
        doc.update(copy.deepcopy(update["$set"]))
        return UpdateResult(1)

    def find_one_and_update(self, query: dict, update: dict, return_document=ReturnDocument.BEFORE) -> dict | None:
        before = self.find_one(query)
        if before is None:
            return None
        self.update_one({"_id": before["_id"]}, update)
        return self.find_one({"_id": before["_id"]}) if return_document == ReturnDocument.AFTER else before

    def create_index(self, keys) -> str:
        return "_".join(f"{field}_{direction}" for field, direction in keys)


class FakeClock:
    """Starts at 2026-03-02 09:00 UTC; `advance(seconds)` moves it."""

    def __init__(self):
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordedSleep:
    """Keeps every wait asked for and moves the clock by it instead of sleeping."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)

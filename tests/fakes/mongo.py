"""An in-memory stand-in for the few collection operations the journal and the stores use:
filters by `_id` and plain equality, `$set` / `$unset` / `$inc` / `$max` / `$push` on dotted
paths, duplicate `_id`s refused as the server refuses them. Optionally dies on the n-th call
of an operation, to play a process killed between two writes."""

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from bson.raw_bson import RawBSONDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.journal.records import AWARE


class Died(BaseException):
    """The process died here (a BaseException, so no `except Exception` catches it)."""


@dataclass
class Fuse:
    """Dies at the `at`-th call (1-based) of `operation` on `collection` (any when None)."""

    operation: str = ""
    collection: str | None = None
    at: int = 1
    seen: int = field(default=0)

    def check(self, collection: str, operation: str) -> None:
        if operation != self.operation or self.collection not in (None, collection):
            return
        self.seen += 1
        if self.seen == self.at:
            raise Died(f"died at {operation} #{self.at} on {collection}")


def _plain(doc: Any) -> dict:
    if isinstance(doc, RawBSONDocument):
        import bson

        return bson.decode(doc.raw, codec_options=AWARE)
    return copy.deepcopy(dict(doc))


def _get(doc: Mapping, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, Mapping) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _parent(doc: dict, path: str) -> tuple[dict, str]:
    *heads, last = path.split(".")
    for head in heads:
        doc = doc.setdefault(head, {})
    return doc, last


def matches(doc: Mapping, query: Mapping) -> bool:
    return all(_get(doc, path) == value for path, value in query.items())


def apply_update(doc: dict, update: Mapping) -> None:
    for path, value in update.get("$set", {}).items():
        parent, last = _parent(doc, path)
        parent[last] = copy.deepcopy(value)
    for path in update.get("$unset", {}):
        parent, last = _parent(doc, path)
        parent.pop(last, None)
    for path, amount in update.get("$inc", {}).items():
        parent, last = _parent(doc, path)
        parent[last] = parent.get(last, 0) + amount
    for path, value in update.get("$max", {}).items():
        parent, last = _parent(doc, path)
        parent[last] = max(parent.get(last, value), value)
    for path, value in update.get("$push", {}).items():
        parent, last = _parent(doc, path)
        items = value["$each"] if isinstance(value, Mapping) and "$each" in value else [value]
        parent.setdefault(last, []).extend(copy.deepcopy(items))


class FakeCollection:
    def __init__(self, name: str, fuse: Fuse):
        self.name = name
        self.fuse = fuse
        self.docs: dict[str, dict] = {}

    def _call(self, operation: str) -> None:
        self.fuse.check(self.name, operation)

    def find_one(self, query: Mapping, projection: Mapping | None = None) -> dict | None:
        self._call("find_one")
        return next((copy.deepcopy(d) for d in self.docs.values() if matches(d, query)), None)

    def find(self, query: Mapping | None = None, projection: Mapping | None = None) -> list[dict]:
        self._call("find")
        return [copy.deepcopy(d) for d in self.docs.values() if matches(d, query or {})]

    def count_documents(self, query: Mapping) -> int:
        return len(self.find(query))

    def insert_one(self, doc: Mapping) -> None:
        self._call("insert_one")
        doc = _plain(doc)
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("duplicate key", 11000)
        self.docs[doc["_id"]] = doc

    def insert_many(self, docs: list, ordered: bool = True) -> None:
        self._call("insert_many")
        errors = []
        for index, doc in enumerate(docs):
            doc = _plain(doc)
            if doc["_id"] in self.docs:
                errors.append({"index": index, "code": 11000, "errmsg": "duplicate key"})
            else:
                self.docs[doc["_id"]] = doc
        if errors:
            raise BulkWriteError({"writeErrors": errors})

    def update_one(self, query: Mapping, update: Mapping, upsert: bool = False) -> SimpleNamespace:
        self._call("update_one")
        doc = next((d for d in self.docs.values() if matches(d, query)), None)
        if doc is None and upsert:
            doc = self.docs[query["_id"]] = {"_id": query["_id"]}
        elif doc is None:
            return SimpleNamespace(matched_count=0)
        apply_update(doc, update)
        return SimpleNamespace(matched_count=1)

    def bulk_write(self, ops: list, ordered: bool = True) -> None:
        self._call("bulk_write")
        for op in ops:
            doc = next((d for d in self.docs.values() if matches(d, op._filter)), None)
            if doc is not None:
                apply_update(doc, op._doc)

    def replace_one(self, query: Mapping, doc: Mapping, upsert: bool = False) -> None:
        self._call("replace_one")
        if query["_id"] in self.docs or upsert:
            self.docs[query["_id"]] = {**copy.deepcopy(dict(doc)), "_id": query["_id"]}

    def delete_one(self, query: Mapping) -> None:
        self._call("delete_one")
        doc = next((d for d in self.docs.values() if matches(d, query)), None)
        if doc is not None:
            del self.docs[doc["_id"]]


class FakeDatabase(dict):
    """Collections by name, created on first use, sharing one `fuse`."""

    def __init__(self, fuse: Fuse | None = None):
        super().__init__()
        self.fuse = fuse or Fuse()

    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection(name, self.fuse)
        return self[name]

"""An in-memory stand-in for the collection operations the journal and the rosters store use.

Queries: equality (an array field matches any element equal to the value; documents compare
field by field in order), `$in`, `$ne`, `$exists`, `$regex`, `$gte`/`$gt`/`$lte`/`$lt` (values
of one kind), a top-level `$or`. Updates: `$set`, `$setOnInsert`, `$unset`, `$inc`, `$max`,
`$push`, `$addToSet`, `$pull`, `$pullAll` on dotted paths (a number indexes an array); an upsert
that matches nothing inserts the query's equalities with the update, and meets a duplicate key
when its `_id` is taken, as the server does. Projections naming top-level fields;
`find` results sorted, skipped and limited. Every document is stored as a BSON round trip, so
a value the server cannot store is refused here too; duplicate `_id`s are refused as the
server refuses them. What it does not understand raises NotImplementedError rather than being
ignored. Optionally dies on the n-th call of an operation, to play a process killed between
two writes."""

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import bson
from bson import ObjectId
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from shared.journal.records import AWARE

_MISSING = object()  # a path that leads nowhere (not the same as a null value)


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


def _stored(doc: Mapping) -> dict:
    """The document as the server keeps it: encoded to BSON and read back (timezone-aware
    datetimes to the millisecond, tuples as lists, an error for what BSON cannot hold)."""
    raw = doc.raw if isinstance(doc, RawBSONDocument) else bson.encode(doc)
    return bson.decode(raw, codec_options=AWARE)


def _same(a: Any, b: Any) -> bool:
    """Equal as the server compares values: documents field by field and in order, arrays
    element by element, booleans never equal to numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping | list | tuple) or isinstance(b, Mapping | list | tuple):
        return False
    return a == b


def _lookup(doc: Any, path: str) -> Any:
    """The value at a dotted path, or `_MISSING`. A path through an array of documents gives the
    values found in its elements, as a list (`claimants.person_id`: every claimant's id), as the
    server matches it; a number indexes the array."""
    parts = path.split(".")
    for at, part in enumerate(parts):
        if isinstance(doc, list) and not part.isdigit():
            found = [_lookup(element, ".".join(parts[at:])) for element in doc if isinstance(element, Mapping)]
            values = [v for value in found if value is not _MISSING
                      for v in (value if isinstance(value, list) else [value])]
            return values if values else _MISSING
        if isinstance(doc, list):
            if int(part) >= len(doc):
                return _MISSING
            doc = doc[int(part)]
            continue
        if not isinstance(doc, Mapping) or part not in doc:
            return _MISSING
        doc = doc[part]
    return doc


def _equal(value: Any, wanted: Any) -> bool:
    """`{field: wanted}`: the value itself, or any element of an array value; null matches missing."""
    if value is _MISSING:
        return wanted is None
    return _same(value, wanted) or (isinstance(value, list) and any(_same(v, wanted) for v in value))


def _regex(value: Any, pattern: Any) -> bool:
    if not isinstance(pattern, str | re.Pattern):
        raise NotImplementedError(f"$regex with {pattern!r}")
    texts = value if isinstance(value, list) else [value]
    return any(isinstance(t, str) and re.search(pattern, t) is not None for t in texts)


def _compares(value: Any, argument: Any, holds) -> bool:
    """A range operator: only values of the argument's kind compare (as the server's type brackets)."""
    if isinstance(value, bool) or isinstance(argument, bool) or isinstance(value, list | Mapping):
        raise NotImplementedError(f"a range over {value!r} and {argument!r}")
    if value is _MISSING or value is None or not isinstance(value, type(argument)):
        return False
    return holds(value, argument)


_OPERATORS = {
    "$in": lambda value, argument: any(_equal(value, wanted) for wanted in argument),
    "$ne": lambda value, argument: not _equal(value, argument),
    "$exists": lambda value, argument: (value is not _MISSING) == bool(argument),
    "$regex": _regex,
    "$gte": lambda value, argument: _compares(value, argument, lambda a, b: a >= b),
    "$gt": lambda value, argument: _compares(value, argument, lambda a, b: a > b),
    "$lte": lambda value, argument: _compares(value, argument, lambda a, b: a <= b),
    "$lt": lambda value, argument: _compares(value, argument, lambda a, b: a < b),
}


def _operators(condition: Any) -> bool:
    """Whether a condition is an operator expression (`{"$in": [...]}`) rather than a value."""
    if not isinstance(condition, Mapping) or not condition:
        return False
    dollars = {key.startswith("$") for key in condition}
    if dollars == {True, False}:
        raise NotImplementedError(f"a condition mixing operators and fields: {condition!r}")
    return dollars == {True}


def _holds(value: Any, condition: Any) -> bool:
    if not _operators(condition):
        return _equal(value, condition)
    unknown = set(condition) - set(_OPERATORS)
    if unknown:
        raise NotImplementedError(f"query operators {sorted(unknown)}")
    return all(_OPERATORS[op](value, argument) for op, argument in condition.items())


def matches(doc: Mapping, query: Mapping) -> bool:
    for path, condition in query.items():
        if path == "$or":
            if not any(matches(doc, branch) for branch in condition):
                return False
            continue
        if path == "$and":
            if not all(matches(doc, branch) for branch in condition):
                return False
            continue
        if path.startswith("$"):
            raise NotImplementedError(f"top-level query operator {path}")
        if not _holds(_lookup(doc, path), condition):
            return False
    return True


def _projected(doc: dict, projection: Mapping | None) -> dict:
    """Top-level fields included (`{"version": 1}`) or excluded (`{"seen_at": 0}`)."""
    if projection is None:
        return doc
    fields = {name: bool(shown) for name, shown in projection.items()}
    if not fields or any("." in name or name.startswith("$") for name in fields):
        raise NotImplementedError(f"projection {projection!r}")
    with_id = fields.pop("_id", True)
    if len(set(fields.values())) > 1:
        raise NotImplementedError(f"a projection mixing inclusion and exclusion: {projection!r}")
    including = any(fields.values()) or (not fields and with_id)
    if including:
        return {k: v for k, v in doc.items() if k in fields or (k == "_id" and with_id)}
    return {k: v for k, v in doc.items() if k not in fields and (k != "_id" or with_id)}


def _container(doc: Any, path: str, create: bool) -> tuple[Any, str | int] | None:
    """(the document or array holding the last part of `path`, that part); None when a parent
    is missing and not to be created. A numeric part indexes an array."""
    *heads, last = path.split(".")
    for head in heads:
        if isinstance(doc, list):
            if not head.isdigit() or int(head) >= len(doc):
                raise NotImplementedError(f"a path beyond the end of an array: {path}")
            doc = doc[int(head)]
        elif isinstance(doc, dict):
            if head not in doc and not create:
                return None
            doc = doc.setdefault(head, {})
        else:
            raise WriteError(f"cannot use the part {head!r} of {path} to traverse a {type(doc).__name__}", 28)
    if isinstance(doc, list):
        if not last.isdigit():
            raise WriteError(f"cannot create field {last!r} in an array ({path})", 28)
        return doc, int(last)
    if not isinstance(doc, dict):
        raise WriteError(f"cannot create field {last!r} in a {type(doc).__name__} ({path})", 28)
    return doc, last


def _value(holder: Any, key: str | int) -> Any:
    if isinstance(holder, list):
        return holder[key] if key < len(holder) else _MISSING
    return holder.get(key, _MISSING)


def _put(holder: Any, key: str | int, value: Any) -> None:
    if isinstance(holder, list):
        holder.extend([None] * (key + 1 - len(holder)))  # the server pads an array with nulls
    holder[key] = copy.deepcopy(value)


def _array(holder: Any, key: str | int, path: str) -> list:
    current = _value(holder, key)
    if current is _MISSING:
        _put(holder, key, [])
        return _value(holder, key)
    if not isinstance(current, list):
        raise WriteError(f"{path} is not an array", 2)
    return current


def _each(value: Any, operator: str) -> list:
    if isinstance(value, Mapping) and any(k.startswith("$") for k in value):
        if set(value) != {"$each"}:
            raise NotImplementedError(f"{operator} modifiers {sorted(value)}")
        return list(value["$each"])
    return [value]


def _set(doc, path, value):
    _put(*_container(doc, path, create=True), value)


def _unset(doc, path, _):
    found = _container(doc, path, create=False)
    if found is None or _value(*found) is _MISSING:
        return
    holder, key = found
    if isinstance(holder, list):
        holder[key] = None  # the server leaves a null in an array
    else:
        del holder[key]


def _inc(doc, path, amount):
    holder, key = _container(doc, path, create=True)
    current = _value(holder, key)
    _put(holder, key, amount if current is _MISSING else current + amount)


def _max(doc, path, value):
    holder, key = _container(doc, path, create=True)
    current = _value(holder, key)
    _put(holder, key, value if current is _MISSING else max(current, value))


def _push(doc, path, value):
    _array(*_container(doc, path, create=True), path).extend(copy.deepcopy(_each(value, "$push")))


def _add_to_set(doc, path, value):
    array = _array(*_container(doc, path, create=True), path)
    for item in _each(value, "$addToSet"):
        if not any(_same(existing, item) for existing in array):
            array.append(copy.deepcopy(item))


def _pull_where(doc, path, keep) -> None:
    found = _container(doc, path, create=False)
    if found is None or _value(*found) is _MISSING:
        return
    array = _array(*found, path)
    array[:] = [item for item in array if keep(item)]


def _pull(doc, path, condition):
    if isinstance(condition, Mapping) and not _operators(condition):  # a query on embedded documents
        _pull_where(doc, path, lambda item: not (isinstance(item, Mapping) and matches(item, condition)))
    else:
        _pull_where(doc, path, lambda item: not _holds(item, condition))


def _pull_all(doc, path, values):
    _pull_where(doc, path, lambda item: not any(_same(item, v) for v in values))


_UPDATES = {"$set": _set, "$unset": _unset, "$inc": _inc, "$max": _max, "$push": _push,
            "$addToSet": _add_to_set, "$pull": _pull, "$pullAll": _pull_all,
            "$setOnInsert": lambda doc, path, value: None}  # applied by the upsert that inserts


def _check_update(update: Mapping) -> None:
    """Refuse what pymongo or the server refuses, and what this fake does not know."""
    if not update or not all(op.startswith("$") for op in update):
        raise ValueError("update only works with $ operators")
    unknown = set(update) - set(_UPDATES)
    if unknown:
        raise NotImplementedError(f"update operators {sorted(unknown)}")
    paths = [path for fields in update.values() for path in fields]
    clashing = [(a, b) for i, a in enumerate(paths) for b in paths[i + 1:]
                if a == b or a.startswith(b + ".") or b.startswith(a + ".")]
    if clashing:
        raise WriteError(f"updating the path {clashing[0][1]!r} would create a conflict at {clashing[0][0]!r}", 40)


def apply_update(doc: dict, update: Mapping) -> None:
    """Apply an update document in place, operators in the order given."""
    _check_update(update)
    for operator, fields in update.items():
        for path, value in fields.items():
            _UPDATES[operator](doc, path, value)


class FakeCursor:
    """What `find` returns: sorted, then skipped, then limited, whatever order those are asked in."""

    def __init__(self, docs: list[dict], wrap):
        self.docs = docs
        self.wrap = wrap
        self.skipped = self.limited = 0

    def sort(self, key: "str | list[tuple[str, int]]", direction: int = ASCENDING) -> "FakeCursor":
        if isinstance(key, list):  # several keys: a stable sort by each, the last one first
            for one, way in reversed(key):
                self.sort(one, way)
            return self
        if not isinstance(key, str) or direction not in (ASCENDING, DESCENDING):
            raise NotImplementedError(f"sort by {key!r}, {direction!r}")
        present = [(value, d) for d in self.docs if (value := _lookup(d, key)) not in (_MISSING, None)]
        if any(isinstance(value, list | Mapping) for value, _ in present):
            raise NotImplementedError(f"sort by {key!r}, which holds arrays or documents")
        absent = [d for d in self.docs if _lookup(d, key) in (_MISSING, None)]  # null and missing sort first
        present.sort(key=lambda pair: pair[0], reverse=direction == DESCENDING)
        ordered = [d for _, d in present]
        self.docs = absent + ordered if direction == ASCENDING else ordered + absent
        return self

    def skip(self, count: int) -> "FakeCursor":
        self.skipped = count
        return self

    def limit(self, count: int) -> "FakeCursor":
        self.limited = count
        return self

    def __iter__(self) -> Iterator:
        docs = self.docs[self.skipped:]
        return iter(self.wrap(d) for d in (docs[:self.limited] if self.limited else docs))


class FakeCollection:
    def __init__(self, name: str, fuse: Fuse, created: set[str] | None = None):
        self.name = name
        self.fuse = fuse
        self.docs: dict[Any, dict] = {}
        self.created = created if created is not None else set()  # names of the collections that exist
        self.raw = False

    def _call(self, operation: str) -> None:
        self.fuse.check(self.name, operation)

    def _out(self, doc: dict, projection: Mapping | None = None) -> Any:
        shown = bson.encode(_projected(doc, projection))  # a copy, as a fresh read from the server is
        return RawBSONDocument(shown) if self.raw else bson.decode(shown, codec_options=AWARE)

    def _candidates(self, query: Mapping) -> list[dict]:
        """The documents a query may match: the one with its `_id` when it names one."""
        wanted = query.get("_id", _MISSING)
        if wanted is _MISSING or _operators(wanted) or isinstance(wanted, list | Mapping):
            return list(self.docs.values())
        return [self.docs[wanted]] if wanted in self.docs else []

    def _first(self, query: Mapping) -> dict | None:
        return next((d for d in self._candidates(query) if matches(d, query)), None)

    def _keep(self, doc: dict) -> None:
        self.docs[doc["_id"]] = doc
        self.created.add(self.name)

    def with_options(self, codec_options: CodecOptions | None = None, **options) -> "FakeCollection":
        """The same collection; with a `RawBSONDocument` document class, documents come back raw."""
        if options or codec_options is None:
            raise NotImplementedError(f"with_options({codec_options!r}, {options!r})")
        view = copy.copy(self)
        view.raw = codec_options.document_class is RawBSONDocument
        return view

    def create_index(self, keys: Any, **options) -> str:
        self.created.add(self.name)
        return str(keys)

    def find_one(self, query: Mapping | None = None, projection: Mapping | None = None) -> Any:
        self._call("find_one")
        doc = self._first(query or {})
        return None if doc is None else self._out(doc, projection)

    def find(self, query: Mapping | None = None, projection: Mapping | None = None,
             batch_size: int = 0) -> FakeCursor:
        self._call("find")
        found = [d for d in self._candidates(query or {}) if matches(d, query or {})]
        return FakeCursor(found, lambda d: self._out(d, projection))

    def count_documents(self, query: Mapping) -> int:
        return len(list(self.find(query)))

    def insert_one(self, doc: Mapping) -> SimpleNamespace:
        self._call("insert_one")
        if "_id" not in doc and isinstance(doc, dict):
            doc["_id"] = ObjectId()  # as pymongo does, on the caller's document
        stored = _stored(doc)
        if stored["_id"] in self.docs:
            raise DuplicateKeyError("duplicate key", 11000)
        self._keep(stored)
        return SimpleNamespace(inserted_id=stored["_id"])

    def insert_many(self, docs: list, ordered: bool = True) -> SimpleNamespace:
        self._call("insert_many")
        errors, inserted = [], []
        for index, doc in enumerate(docs):
            stored = _stored(doc)
            if stored["_id"] in self.docs:
                errors.append({"index": index, "code": 11000, "errmsg": "duplicate key"})
                if ordered:
                    break
            else:
                self._keep(stored)
                inserted.append(stored["_id"])
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nInserted": len(inserted)})
        return SimpleNamespace(inserted_ids=inserted)

    def _update(self, query: Mapping, update: Mapping, upsert: bool) -> SimpleNamespace:
        _check_update(update)
        doc = self._first(query)
        if doc is None and not upsert:
            return SimpleNamespace(matched_count=0, modified_count=0, upserted_id=None)
        if doc is None:
            changed = self._upserted(query, update)
        else:
            changed = _stored(doc)
            apply_update(changed, update)
        self._keep(_stored(changed))  # what BSON cannot hold is refused, and nothing is written
        return SimpleNamespace(matched_count=int(doc is not None), modified_count=int(doc is not None),
                               upserted_id=None if doc is not None else changed["_id"])

    def _upserted(self, query: Mapping, update: Mapping) -> dict:
        """The document an upsert inserts: the query's equalities, then the update."""
        if "_id" not in query or _operators(query["_id"]):
            raise NotImplementedError(f"an upsert matching {query!r}")
        if query["_id"] in self.docs:  # the id is taken by a document not matching
            raise DuplicateKeyError(f"E11000 duplicate key error: _id {query['_id']!r}", 11000)
        created = {k: v for k, v in query.items() if not k.startswith("$") and not _operators(v) and "." not in k}
        others = {op: f for op, f in update.items() if op != "$setOnInsert"}
        if others or "$setOnInsert" not in update:
            apply_update(created, others)
        for path, value in (update.get("$setOnInsert") or {}).items():
            _set(created, path, value)
        return created

    def find_one_and_update(self, query: Mapping, update: Mapping, upsert: bool = False,
                            return_document: bool = False, projection: Mapping | None = None) -> Any:
        """`return_document` True (`ReturnDocument.AFTER`) gives the document as written."""
        self._call("find_one_and_update")
        _check_update(update)
        doc = self._first(query)
        if doc is None and not upsert:
            return None
        before = None if doc is None else self._out(doc, projection)
        if doc is None:
            changed = self._upserted(query, update)
        else:
            changed = _stored(doc)
            apply_update(changed, update)
        self._keep(_stored(changed))
        return self._out(self.docs[changed["_id"]], projection) if return_document else before

    def update_many(self, query: Mapping, update: Mapping) -> SimpleNamespace:
        self._call("update_many")
        _check_update(update)
        found = [d for d in self._candidates(query) if matches(d, query)]
        for doc in found:
            changed = _stored(doc)
            apply_update(changed, update)
            self._keep(_stored(changed))
        return SimpleNamespace(matched_count=len(found), modified_count=len(found))

    def delete_many(self, query: Mapping) -> SimpleNamespace:
        self._call("delete_many")
        found = [d["_id"] for d in self._candidates(query) if matches(d, query)]
        for doc_id in found:
            del self.docs[doc_id]
        return SimpleNamespace(deleted_count=len(found))

    def update_one(self, query: Mapping, update: Mapping, upsert: bool = False) -> SimpleNamespace:
        self._call("update_one")
        return self._update(query, update, upsert)

    def bulk_write(self, ops: list, ordered: bool = True) -> None:
        self._call("bulk_write")
        for op in ops:
            if not isinstance(op, UpdateOne) or op._upsert or op._array_filters or op._hint or op._sort:
                raise NotImplementedError(f"bulk operation {op!r}")
            self._update(op._filter, op._doc, upsert=False)

    def replace_one(self, query: Mapping, doc: Mapping, upsert: bool = False) -> SimpleNamespace:
        self._call("replace_one")
        if "_id" not in query or any(k.startswith("$") for k in doc):
            raise NotImplementedError(f"replace_one({query!r}, {doc!r})")
        found = self._first(query) is not None
        if not found and upsert and query["_id"] in self.docs:  # the id is taken by a document not matching
            raise DuplicateKeyError(f"E11000 duplicate key error: _id {query['_id']!r}")
        if found or upsert:
            self._keep(_stored({"_id": query["_id"], **{k: v for k, v in doc.items() if k != "_id"}}))
        return SimpleNamespace(matched_count=int(found), upserted_id=None if found or not upsert else query["_id"])

    def delete_one(self, query: Mapping) -> SimpleNamespace:
        self._call("delete_one")
        doc = self._first(query)
        if doc is not None:
            del self.docs[doc["_id"]]
        return SimpleNamespace(deleted_count=int(doc is not None))


class FakeDatabase(dict):
    """Collections by name, made on first use, sharing one `fuse`; a collection exists (for
    `list_collection_names`) once a document was written to it or an index made on it."""

    def __init__(self, fuse: Fuse | None = None):
        super().__init__()
        self.fuse = fuse or Fuse()
        self.created: set[str] = set()

    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection(name, self.fuse, self.created)
        return self[name]

    def list_collection_names(self) -> list[str]:
        return sorted(self.created)

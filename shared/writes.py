"""Single-document writes that two callers may make at once, with MongoDB's answer to the race
built in: of two inserts of one id one wins; of two first upserts of one id one may meet the
other's insert (a duplicate key error) and is then simply tried again as an update."""

from collections.abc import Mapping
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError


def insert_or_get(collection: Collection, doc: Mapping[str, Any]) -> tuple[dict, bool]:
    """Insert, or when a document with this id exists (a twin got there first), that one:
    (stored document, created)."""
    try:
        collection.insert_one(dict(doc))
        return dict(doc), True
    except DuplicateKeyError:
        return collection.find_one({"_id": doc["_id"]}), False


def upsert_retrying(collection: Collection, doc_id: str, update: Mapping[str, Any]) -> None:
    """`update_one(upsert=True)` that survives another writer creating the document meanwhile."""
    try:
        collection.update_one({"_id": doc_id}, update, upsert=True)
    except DuplicateKeyError:
        collection.update_one({"_id": doc_id}, update, upsert=True)

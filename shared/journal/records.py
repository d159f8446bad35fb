"""What the journal keeps about a step, the names it keeps it under, and its errors."""

from collections.abc import Mapping

import bson
from bson.binary import Binary
from bson.codec_options import CodecOptions

AWARE = CodecOptions(tz_aware=True)
#: What a step document in `journal_steps` keeps: only what finishing the step needs.
RECORDED = ("_id", "collection", "doc_id", "version", "events", "counts", "follow", "at", "writer", "attempt")


class VersionTaken(Exception):
    """Another writer took this version of the document (or created it) first."""


class NotApplied(Exception):
    """The step's conditions (`when`) no longer held: nothing was written."""


def pack(record: Mapping) -> Binary:
    return Binary(bson.encode(record))


def unpack(value: Binary | Mapping | None) -> dict:
    """A record stored with `pack` (or, from before it was packed, as a plain document)."""
    if value is None:
        return {}
    return bson.decode(value, codec_options=AWARE) if isinstance(value, bytes) else dict(value)


def step_key(collection: str, doc_id: str, version: int) -> str:
    return f"{collection}:{doc_id}:{version}"


def split_key(key: str) -> tuple[str, str, int]:
    """(collection, document id, version) of a step key."""
    collection, rest = key.split(":", 1)
    doc_id, version = rest.rsplit(":", 1)
    return collection, doc_id, int(version)


def listing_name(key: str, attempt: str) -> str:
    """The field naming one attempt at a step on an instance's pending list (no `.` or `$`)."""
    return f"{key}~{attempt}".replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def listed_step(name: str) -> tuple[str, str]:
    """(step key, attempt) of a pending-list field."""
    key, attempt = name.replace("%24", "$").replace("%2E", ".").replace("%25", "%").rsplit("~", 1)
    return key, attempt

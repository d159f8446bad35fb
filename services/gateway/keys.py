"""API keys of the systems that call the gateway (a district system, a mobile app, an Open311
client): what a key stands for, how many requests it may make a minute, and its errors.

A key is stored by the sha256 of its raw text, the document's `_id`; the raw key is shown once,
when it is issued, and kept nowhere. `key_id`, the digest's first characters, names a key for
listing and revoking without revealing it. A key counts its requests in a one-minute window
(`window`, the minute's start, and `used`, the requests counted in it); the repository moves
the window and counts atomically, this module decides on the counted document.

No database or web code here; `Actor` comes from `shared.actor`, which itself imports nameko.
"""

import hashlib
import math
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.actor import Actor
from shared.clock import plain
from shared.errors import LinliError, NotFound, field_error
from shared.rights import ROLES

PREFIX = "lk_"
KEY_ID_LENGTH = 12
MINUTE = timedelta(minutes=1)


class Unauthenticated(LinliError):
    """The request names no API key, or one that was never issued or has been revoked (the two
    read the same, so a caller learns nothing of which keys exist)."""

    code = "unauthenticated"

    @classmethod
    def missing(cls) -> "Unauthenticated":
        return cls("an API key is required", [{"field": "api_key", "reason": "required"}])

    @classmethod
    def unknown(cls) -> "Unauthenticated":
        return cls("unknown or revoked API key", [{"field": "api_key", "reason": "unknown or revoked"}])


class RateLimited(LinliError):
    """The key has made all the requests it may this minute; `retry_after` seconds until the
    next minute. The seconds travel in the details, so the error rebuilt from its arguments on
    the other side of an RPC still has them."""

    code = "rate_limited"

    @classmethod
    def after(cls, retry_after: int, per_minute: int) -> "RateLimited":
        return cls(f"more than {per_minute} requests a minute; retry after {retry_after} s",
                   [{"field": "api_key", "reason": "too many requests this minute", "retry_after": retry_after}])

    @property
    def retry_after(self) -> int:
        """Seconds until the key may be used again (a whole minute when the details do not say)."""
        for detail in self.details:
            seconds = detail.get("retry_after") if isinstance(detail, Mapping) else None
            if isinstance(seconds, int) or (isinstance(seconds, str) and seconds.isdigit()):
                return int(seconds)  # nameko sends the details' numbers as text
        return 60


class KeyNotFound(NotFound):
    pass


def new_raw_key() -> str:
    """A fresh key as the caller will send it: `lk_` and 256 random bits, URL-safe."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(raw: str) -> str:
    """What a key is stored and found by: the sha256 of its raw text, in hex."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def key_id_of(key_digest: str) -> str:
    """The key's public name: the first characters of its digest, which reveal nothing of the key."""
    return key_digest[:KEY_ID_LENGTH]


def minute_of(now: datetime) -> datetime:
    """The start of the minute `now` falls in, in UTC (a naive `now` is taken as UTC)."""
    return _utc(now).replace(second=0, microsecond=0)


def seconds_to_next_minute(now: datetime) -> int:
    """Whole seconds from `now` until the next minute starts: 1 to 60."""
    return max(1, math.ceil((minute_of(now) + MINUTE - _utc(now)).total_seconds()))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def key_document(key_digest: str, name: str, actor: Actor, per_minute: int, now: datetime,
                 public_reads: bool = False) -> dict:
    """The stored key for `actor`, allowed `per_minute` requests a minute, its count starting now;
    with `public_reads`, also the key Open311 reads without a key are answered as (and counted
    against). `ValidationFailed` for a role `shared.rights` does not know or a limit below one."""
    if actor.role not in ROLES:
        raise field_error("role", f"Must be one of: {', '.join(ROLES)}.")
    if isinstance(per_minute, bool) or not isinstance(per_minute, int) or per_minute < 1:
        raise field_error("per_minute", "Must be greater than or equal to 1.")
    return {
        "_id": key_digest, "key_id": key_id_of(key_digest), "name": name,
        "who": actor.who, "role": actor.role, "jurisdiction": list(actor.jurisdiction),
        "per_minute": per_minute, "created_at": now, "revoked_at": None,
        "window": minute_of(now), "used": 0, "public_reads": public_reads,
    }


def within_limit(counted: dict, now: datetime) -> dict:
    """The key document as counted for this request, or `RateLimited` when the request went
    over the key's limit for the minute."""
    if counted["used"] > counted["per_minute"]:
        raise RateLimited.after(seconds_to_next_minute(now), counted["per_minute"])
    return counted


def actor_of(doc: Mapping[str, Any]) -> Actor:
    """Who a request with this key acts as."""
    return Actor(doc["who"], doc["role"], tuple(doc.get("jurisdiction") or ()))


def public_view(doc: Mapping[str, Any]) -> dict:
    """The key as ops may see it: everything but its digest, whether it is revoked, times as
    ISO 8601."""
    view = {field: value for field, value in doc.items() if field != "_id"}
    return plain({**view, "revoked": doc.get("revoked_at") is not None})

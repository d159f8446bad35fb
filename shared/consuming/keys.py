"""What an event is known by to its consumers: its `event_id`, and ids derived from it for
the writes a handler makes, so that running a handler twice writes the same documents."""

import json
from collections.abc import Mapping
from typing import Any

from shared.ids import derived_id


def event_key(event: Any) -> str:
    """The event's `event_id`; for a body without one, an id derived from its content, so that
    repeats of a malformed body still meet on one record."""
    if isinstance(event, Mapping) and isinstance(event.get("event_id"), str) and event["event_id"]:
        return event["event_id"]
    return derived_id("body", json.dumps(event, sort_keys=True, default=str, ensure_ascii=False))


def event_type(event: Any) -> str | None:
    return event.get("type") if isinstance(event, Mapping) else None


def record_id(handler: str, event_id: str) -> str:
    """The one ledger record of this handler and this event: `<handler>:<event_id>`."""
    return f"{handler}:{event_id}"


def effect_id(prefix: str, event: Any, *parts: str) -> str:
    """The id of a document a handler writes for `event`: the same on every run of the handler,
    so an insert of it (shared.writes.insert_or_get) or an upsert keyed by it happens once.
    Add `parts` (a recipient, the handler's name) when one event leads to several documents."""
    return derived_id(prefix, event_key(event), *parts)

"""The event envelope every service emits: a past-tense fact with an id and a time.

Plain Python; its schema at the boundary is `shared.schemas.EnvelopeSchema`.
"""

from typing import Any

from shared.clock import to_iso, utcnow
from shared.ids import new_id


def envelope(event_type: str, payload: dict[str, Any], actor: dict[str, Any], version: int = 1) -> dict:
    """A new event, ready to be stored beside the change that caused it."""
    return {
        "event_id": new_id("evt"),
        "type": event_type,
        "occurred_at": to_iso(utcnow()),
        "actor": actor,
        "version": version,
        "payload": payload,
    }

"""The event envelope every service emits: a past-tense fact with an id and a time."""

from typing import Any

from marshmallow import fields

from shared.clock import to_iso, utcnow
from shared.ids import new_id
from shared.schemas import StrictSchema


class EnvelopeSchema(StrictSchema):
    event_id = fields.String(required=True)
    type = fields.String(required=True)
    occurred_at = fields.String(required=True)
    actor = fields.Dict(required=True)
    version = fields.Integer(required=True)
    payload = fields.Dict(required=True)


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

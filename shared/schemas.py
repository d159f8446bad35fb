"""Marshmallow base schema that turns validation errors into `ValidationFailed`, validators
shared by the services' schemas, and the event envelope's schema."""

import unicodedata
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared.errors import ValidationFailed

INVISIBLE = ("Cc", "Cf", "Zs")  # control, format (zero-width) and space characters
MAX_OFFSET = 1_000_000  # how far a list may be paged: beyond any real list, and a larger skip overflows the database
LAST_YEAR = 9998  # the last year a day or moment may fall in, so the day and month after it still exist


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Marshmallow's nested message dict as a flat list of `{field, reason}`."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = key if key != "_schema" else ""
            path = ".".join(p for p in (prefix, str(name)) if p)
            out.extend(flatten_messages(value, path))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix or "_schema", "reason": "; ".join(messages)}]
    if isinstance(messages, list):
        return [d for m in messages for d in flatten_messages(m, prefix)]
    return [{"field": prefix or "_schema", "reason": str(messages)}]


def unstorable_strings(value: Any, path: str = "") -> list[dict[str, str]]:
    """Every string in `value` (at any depth) that is not valid Unicode text: a lone surrogate
    (it cannot be encoded, so the database would refuse it part way through a command) or a
    NUL character. As `{field, reason}`, the field a dotted path."""
    if isinstance(value, str):
        if "\x00" in value:
            return [{"field": path or "_schema", "reason": "contains a NUL character"}]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [{"field": path or "_schema", "reason": "is not valid Unicode (a lone surrogate)"}]
        return []
    if isinstance(value, dict):
        return [d for key, item in value.items() for d in
                unstorable_strings(key, path or "_schema") + unstorable_strings(item, _joined(path, key))]
    if isinstance(value, list | tuple):
        return [d for index, item in enumerate(value) for d in unstorable_strings(item, _joined(path, index))]
    return []


def _joined(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


class StrictSchema(Schema):
    """Unknown fields are rejected, and strings that are not valid Unicode text anywhere in the
    input; `load_or_raise` raises `ValidationFailed`."""

    class Meta:
        unknown = RAISE
        ordered = True

    def load_or_raise(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict) and not kwargs.get("many"):
            raise ValidationFailed("payload must be an object", [{"field": "_schema", "reason": "not an object"}])
        unstorable = unstorable_strings(data)
        if unstorable:
            summary = ", ".join(f"{d['field']}: {d['reason']}" for d in unstorable)
            raise ValidationFailed(f"invalid input ({summary})", unstorable)
        try:
            return self.load(data, **kwargs)
        except ValidationError as exc:
            details = flatten_messages(exc.messages)
            summary = ", ".join(f"{d['field']}: {d['reason']}" for d in details)
            raise ValidationFailed(f"invalid input ({summary})", details) from None


def in_years(moment: datetime) -> None:
    """A moment whose UTC time falls in the years 1 to `LAST_YEAR` (a later one overflows the
    day and month after it, an earlier one the database)."""
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 1 <= year <= LAST_YEAR:
        raise ValidationError(f"must be in the years 1 to {LAST_YEAR} (UTC)")


def not_blank(value: Any) -> None:
    """A name must say something: not only spaces (of any width) or invisible characters (an
    empty one is left to the field's `Length`)."""
    if isinstance(value, str) and value and all(ch.isspace() or unicodedata.category(ch) in INVISIBLE for ch in value):
        raise ValidationError("must not be blank")


def name_field(max_length: int = 100, **kwargs: Any) -> fields.String:
    """A required name: 1 to `max_length` characters, not blank."""
    return fields.String(required=True, validate=[validate.Length(min=1, max=max_length), not_blank], **kwargs)


def request_id_field() -> fields.String:
    """The caller's id for a command: a repeat with the same id gets the first answer
    (`shared.requests`)."""
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class EnvelopeSchema(StrictSchema):
    """An event envelope (`shared.events.envelope`) as it travels."""

    event_id = fields.String(required=True)
    type = fields.String(required=True)
    occurred_at = fields.String(required=True)
    actor = fields.Dict(required=True)
    version = fields.Integer(required=True)
    payload = fields.Dict(required=True)

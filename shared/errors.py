"""Errors every service raises across RPC, structured and mapped back to local classes.

Each error carries a `code`, a `message` and `details` (a list of `{field, reason}`);
`str(error)` is that structure as JSON, so callers without this package can parse it too.
"""

import json
from typing import Any

from nameko.exceptions import deserialize_to_instance


class LinliError(Exception):
    """Base of every error a Linli RPC may raise on purpose."""

    code = "error"

    def __init_subclass__(cls, **kwargs):
        """Every subclass deserialises back to itself on the calling side."""
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message, details or [])
        self.message = message
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


class ValidationFailed(LinliError):
    """Input did not pass its schema; `details` names every field and reason."""

    code = "invalid"

    @property
    def fields(self) -> dict[str, str]:
        return {d["field"]: d["reason"] for d in self.details}


class NotFound(LinliError):
    code = "not_found"


class Conflict(LinliError):
    """The request contradicts the current state (a cycle, a duplicate, a stale version)."""

    code = "conflict"


class Forbidden(LinliError):
    """The actor is missing, forged, or may not act on that part of the tree."""

    code = "forbidden"


class InvalidTransition(LinliError):
    """A state machine was asked for a step its current state does not allow."""

    code = "invalid_transition"


EXPECTED = (ValidationFailed, NotFound, Conflict, Forbidden, InvalidTransition)


def field_error(field: str, reason: str, message: str | None = None) -> ValidationFailed:
    """A validation error about one field."""
    return ValidationFailed(message or f"{field}: {reason}", [{"field": field, "reason": reason}])

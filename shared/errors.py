"""Errors every service raises across RPC, structured, and recognised by their code.

Each error carries a `code`, a `message` and `details` (a list of `{field, reason}`, each
given its Chinese `reason_zh`), and `message_zh`, a Chinese sentence made of the code and
those details (`shared.messages_zh`), so it reads the same wherever the error is rebuilt.
`str(error)` is that structure as JSON, so callers without this package can parse it too.
Plain Python, so that domain modules may raise them: `shared.remote` registers every class
with nameko, which then deserialises each back to itself in a caller that has it.
"""

import json
from collections.abc import Callable
from typing import Any

from shared import messages_zh

ErrorClassHook = Callable[[type["LinliError"]], Any]
_class_hooks: list[ErrorClassHook] = []


class LinliError(Exception):
    """Base of every error a Linli RPC may raise on purpose."""

    code = "error"

    def __init_subclass__(cls, **kwargs):
        """Every subclass is handed to the hooks of `on_each_error_class`."""
        super().__init_subclass__(**kwargs)
        for hook in _class_hooks:
            hook(cls)

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        details = [messages_zh.with_reason_zh(detail) for detail in details or []]
        super().__init__(message, details)  # the arguments nameko sends and rebuilds the error from
        self.message = message
        self.details = details

    @property
    def message_zh(self) -> str:
        """The error as a Chinese sentence for front ends, naming each detail's field."""
        return messages_zh.message_zh(self.code, self.details)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "message_zh": self.message_zh, "details": self.details}

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


def on_each_error_class(hook: ErrorClassHook) -> None:
    """Call `hook` with every error class: those defined already and each one defined later."""
    _class_hooks.append(hook)
    pending = [LinliError]
    while pending:
        cls = pending.pop()
        hook(cls)
        pending.extend(cls.__subclasses__())


def remote_code(error: BaseException) -> str | None:
    """The `code` of an error an RPC raised: of a Linli error deserialised to its class, or read
    from the JSON value of nameko's `RemoteError` when this process does not know the class
    (another service's errors); None for anything else."""
    if isinstance(error, LinliError):
        return error.code
    value = getattr(error, "value", None)
    if getattr(error, "exc_type", None) is None or not isinstance(value, str):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    code = parsed.get("code") if isinstance(parsed, dict) else None
    return code if isinstance(code, str) else None

"""Notifications' errors: the shared structured errors, named for what went wrong here."""

from shared.errors import Conflict, NotFound


class NoticeNotFound(NotFound):
    pass


class MessageNotFound(NotFound):
    pass


class ChangedMeanwhile(Conflict):
    """Another writer changed the message first; nothing was written."""


class KeyReused(Conflict):
    """An idempotency key given again with a different notice: the first one stands."""


class NotParked(Conflict):
    """Only a parked message is replayed."""


class OtherServiceUnavailable(Conflict):
    """Rosters or volunteers did not answer in time."""

"""Hotline's errors: the shared structured errors, named for what went wrong here."""

from shared.errors import Conflict, InvalidTransition, NotFound
from shared.resilience import Unavailable


class TicketNotFound(NotFound):
    pass


class ParkedNotFound(NotFound):
    pass


class CallNotFound(NotFound):
    pass


class UnknownPlatform(NotFound):
    """No platform of that name is configured here."""


class ChangedMeanwhile(Conflict):
    """Another writer changed the ticket first; nothing was written."""


class ReturnTooLate(InvalidTransition):
    """A ticket is returned (退单) only within the platform's window after signing."""


class NotReplayable(Conflict):
    """Only what is parked is replayed."""


class OtherServiceUnavailable(Unavailable):
    """Cases did not answer in time: what was asked is asked again later."""

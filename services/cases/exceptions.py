"""Cases' errors: the shared structured errors, named for what went wrong here."""

from shared.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed


class CaseNotFound(NotFound):
    pass


class MeetingNotFound(NotFound):
    pass


class CaseChanged(Conflict):
    """Another writer changed the case first; reload and retry."""


class RosterUnavailable(Conflict):
    """The rosters service did not answer in time; nothing was changed."""


__all__ = [
    "CaseChanged", "CaseNotFound", "Conflict", "Forbidden", "InvalidTransition", "MeetingNotFound",
    "RosterUnavailable", "ValidationFailed",
]

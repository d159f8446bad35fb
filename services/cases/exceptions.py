"""Cases' errors: the shared structured errors, named for what went wrong here."""

from shared.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed


class CaseNotFound(NotFound):
    pass


class MeetingNotFound(NotFound):
    pass


class CaseChanged(Conflict):
    """Another writer changed the case first; reload and retry."""


class AlreadyPaid(Conflict):
    """The household's share of the meeting's cost split is paid already."""


class RosterUnavailable(Conflict):
    """The rosters service did not answer in time; nothing was changed."""


__all__ = [
    "AlreadyPaid", "CaseChanged", "CaseNotFound", "Conflict", "Forbidden", "InvalidTransition", "MeetingNotFound",
    "RosterUnavailable", "ValidationFailed",
]

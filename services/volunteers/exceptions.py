"""Volunteers' errors: the shared structured errors, named for what went wrong here."""

from shared.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed


class TeamNotFound(NotFound):
    pass


class MemberNotFound(NotFound):
    pass


class TaskNotFound(NotFound):
    pass


class HoursNotFound(NotFound):
    pass


class ChangedMeanwhile(Conflict):
    """Another writer changed the document first (or kept changing it); nothing was written."""


class SkillsMissing(Conflict):
    """The member lacks a skill the task requires, and no staff override was given."""


class HoursVerified(Conflict):
    """The hours are verified by the organiser already and can no longer be changed."""


class OtherServiceUnavailable(Conflict):
    """Rosters or cases did not answer in time; nothing was changed."""


class NoSuchTeamForDispatch(NotFound):
    """A case was dispatched to a support team volunteers does not know (parked, replayable)."""


__all__ = [
    "ChangedMeanwhile", "Conflict", "Forbidden", "HoursNotFound", "HoursVerified", "InvalidTransition",
    "MemberNotFound", "NoSuchTeamForDispatch", "OtherServiceUnavailable", "SkillsMissing", "TaskNotFound",
    "TeamNotFound", "ValidationFailed",
]

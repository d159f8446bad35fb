"""Rosters' errors: the shared structured errors, named for what went wrong here."""

from shared.errors import Conflict, InvalidTransition, NotFound, ValidationFailed


class UnitNotFound(NotFound):
    pass


class PersonNotFound(NotFound):
    pass


class AppointmentNotFound(NotFound):
    pass


class MoveWouldCycle(Conflict):
    pass


class PhoneTaken(Conflict):
    """The phone is registered to a person whose details differ from the request's."""


class SiblingNameTaken(Conflict):
    """Another active unit under the same parent bears that name."""


class UnitStillHasUnits(Conflict):
    """A unit with active units below it cannot be retired: they would go on taking reports."""


class LevelNotAllowed(ValidationFailed):
    pass


__all__ = [
    "AppointmentNotFound", "Conflict", "InvalidTransition", "LevelNotAllowed",
    "MoveWouldCycle", "PersonNotFound", "PhoneTaken", "SiblingNameTaken", "UnitNotFound", "UnitStillHasUnits",
    "ValidationFailed",
]

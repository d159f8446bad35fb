"""Cases recognises rosters' errors by their code, whether this process knows rosters' classes or not."""

import pytest
from nameko.exceptions import RemoteError, serialize

from services.cases.roster import Roster
from shared.errors import NotFound, ValidationFailed, remote_code


class RostersUnitNotFound(NotFound):
    """Stands for rosters' own class, which the cases service does not import."""


def as_remote(error: Exception) -> RemoteError:
    """The error as nameko delivers it to a process that does not know its class."""
    data = serialize(error)
    return RemoteError(data["exc_type"], data["value"])


class FailingCall:
    def __init__(self, error: Exception):
        self.error = error

    def call_async(self, **kwargs):
        return self

    def result(self):
        raise self.error


class FakeProxy:
    def __init__(self, error: Exception):
        self.get_unit = FailingCall(error)


class EmptyCache:
    """RosterCache with nothing cached."""

    def __init__(self):
        self.timeout, self.units, self.generation = 1.0, {}, 0


def test_the_code_of_an_error_is_read_from_its_class_or_from_a_remote_errors_json():
    error = RostersUnitNotFound("no unit 金昌花园 9栋", [{"field": "unit_id", "reason": "not found"}])

    assert remote_code(error) == "not_found"
    assert remote_code(as_remote(error)) == "not_found"
    assert remote_code(as_remote(KeyError("unit_id"))) is None
    assert remote_code(ValueError("not from an RPC")) is None


@pytest.mark.parametrize("delivered", [
    RostersUnitNotFound("no unit unit_nowhere"),
    as_remote(RostersUnitNotFound("no unit unit_nowhere")),
], ids=["class known", "remote error"])
def test_a_unit_rosters_does_not_know_is_a_validation_error_naming_the_field(delivered):
    roster = Roster(FakeProxy(delivered), EmptyCache())

    with pytest.raises(ValidationFailed) as raised:
        roster.node("unit_nowhere", field="node_id")

    assert raised.value.fields == {"node_id": "no such unit in the roster"}


def test_any_other_error_from_rosters_reaches_the_caller_unchanged():
    delivered = as_remote(ValidationFailed("unit_id: not a unit id", [{"field": "unit_id", "reason": "bad"}]))
    roster = Roster(FakeProxy(delivered), EmptyCache())

    with pytest.raises(RemoteError) as raised:
        roster.node("@左家塘街道")

    assert raised.value is delivered

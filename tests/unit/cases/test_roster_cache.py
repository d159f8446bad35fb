"""Cases' cache of rosters' units forgets a unit when rosters announces it changed, so a unit
retired a moment ago is read again (and refused) instead of served from the cache."""

from types import SimpleNamespace

import pytest

from services.cases.roster import Roster, RosterCache
from shared.errors import ValidationFailed

UNIT = {"unit_id": "unit_jc2_1", "name": "1单元", "level": "unit", "ancestors": ["unit_jiayuan", "unit_jc2"],
        "community_id": "unit_jiayuan", "retired": False}


class Rosters:
    """Answers `get_unit` with the unit as rosters holds it now, and counts the calls;
    `during_next_read` runs while the next read is on its way (a change racing it)."""

    def __init__(self):
        self.units = {UNIT["unit_id"]: dict(UNIT)}
        self.reads = 0
        self.during_next_read = None
        self.get_unit = self

    def call_async(self, unit_id):
        self.reads += 1
        answer = dict(self.units[unit_id])
        if self.during_next_read:
            self.during_next_read, change = None, self.during_next_read
            change()
        return SimpleNamespace(result=lambda: answer)


@pytest.fixture
def rosters() -> Rosters:
    return Rosters()


@pytest.fixture
def cache() -> RosterCache:
    cache = RosterCache()
    cache.container = SimpleNamespace(config={"ROSTER_CACHE_SECONDS": 60})
    cache.setup()
    return cache


def retire(rosters: Rosters, cache: RosterCache) -> None:
    """Rosters retires the unit and announces it."""
    rosters.units[UNIT["unit_id"]]["retired"] = True
    cache.forget(UNIT["unit_id"])


def test_a_unit_is_asked_for_once_while_it_is_cached(rosters, cache):
    roster = Roster(rosters, cache)

    roster.unit(UNIT["unit_id"])
    roster.unit(UNIT["unit_id"])

    assert rosters.reads == 1


def test_a_unit_retired_a_moment_ago_takes_no_report_once_rosters_announced_it(rosters, cache):
    roster = Roster(rosters, cache)
    roster.unit(UNIT["unit_id"])

    retire(rosters, cache)

    with pytest.raises(ValidationFailed) as refused:
        roster.unit(UNIT["unit_id"])
    assert refused.value.fields == {"unit_id": "the unit is retired"}
    assert refused.value.details[0]["reason_zh"] == "单元（unit_id）已撤销，不再受理"


def test_a_read_that_overlapped_the_announcement_is_not_kept(rosters, cache):
    roster = Roster(rosters, cache)
    rosters.during_next_read = lambda: retire(rosters, cache)

    first = roster.unit(UNIT["unit_id"])  # read as it was before the retirement

    assert first["retired"] is False
    with pytest.raises(ValidationFailed):
        roster.unit(UNIT["unit_id"])
    assert rosters.reads == 2


def test_a_change_below_a_renamed_or_moved_unit_reads_every_unit_again(rosters, cache):
    roster = Roster(rosters, cache)
    roster.unit(UNIT["unit_id"])

    cache.forget("unit_jc2", subtree=True)
    roster.unit(UNIT["unit_id"])

    assert rosters.reads == 2

"""A process killed between two writes of a command, and a fresh one started on the same
database: its start-up work (`commands.finish_interrupted_work`, what the service runs at start)
and, past the takeover time, the journal's sweep finish the command; nothing is lost and nothing
done twice (an event may be published again, under the same `event_id`, never lost)."""

from collections import Counter

import pytest

from services.rosters import commands
from services.rosters.demo import find_place
from services.rosters.repository import RostersStore
from shared.errors import Conflict
from shared.journal import sweep
from tests.fakes.mongo import Died
from tests.service.rosters.conftest import OPS, TAKEOVER_SECONDS, die_at, kept, process
from tests.service.rosters.making import appointment_in, take

MINGDU = "嘉园社区/名都凯旋城"


def restart(db, broker, clock) -> RostersStore:
    """The dead process is gone (nothing dies any more); a fresh one runs its start-up work."""
    die_at(db, "", None)
    fresh = process(db, broker, clock)
    commands.finish_interrupted_work(fresh)
    return fresh


def swept(fresh: RostersStore, clock) -> None:
    """The takeover time has passed and the fresh process's sweep has run (twice: the second finds nothing)."""
    clock.move(seconds=TAKEOVER_SECONDS + 1)
    sweep(fresh.units.journal)
    sweep(fresh.units.journal)


def announced(broker, event_type: str, change: str | None = None) -> Counter:
    """How often each event of this type was published, by event id."""
    return Counter(e["event_id"] for e in broker.of(event_type, change))


def nothing_left_to_finish(fresh: RostersStore, db, broker, clock) -> None:
    assert fresh.units.journal.state()["unfinished_steps"] == 0
    before, published = kept(db), list(broker.published)
    commands.finish_interrupted_work(process(db, broker, clock))
    assert kept(db) == before and broker.published == published


# where the process dies while appointing, after the appointment's own step
APPOINT_CRASHES = {
    "before-announcing-the-appointment": ("publish", "broker", 1),
    "before-claiming-the-units-step": ("insert_many", "journal_steps", 2),
    "before-announcing-the-new-leader": ("publish", "broker", 2),
    "before-releasing-the-units-step": ("update_one", "journal_instances", 4),
    "before-clearing-leaders-pending": ("update_one", "appointments", 2),
}


@pytest.mark.parametrize("crash", list(APPOINT_CRASHES))
def test_an_appointment_killed_before_its_unit_has_the_leader_is_finished_once_at_the_next_start(
        store, street, db, broker, clock, crash):
    appointment = appointment_in("screened", store, street)
    die_at(db, *APPOINT_CRASHES[crash])
    with pytest.raises(Died):
        take(store, appointment["_id"], "appoint")

    fresh = restart(db, broker, clock)
    swept(fresh, clock)

    stored = fresh.appointments.get(appointment["_id"])
    assert stored["status"] == "appointed" and "leaders_pending" not in stored
    assert [(e["appointment_id"], e["name"]) for e in fresh.units.get(appointment["unit_id"])["leaders"]] == [
        (appointment["_id"], "罗小兰")]
    assert len(announced(broker, "appointment_started")) == 1
    assert len(announced(broker, "unit_changed", "leaders_changed")) == 1
    nothing_left_to_finish(fresh, db, broker, clock)


# where the process dies while moving 名都凯旋城 (six units below it) under 第一网格
MOVE_CRASHES = {
    "before-rebasing-any-unit-below": ("update_one", "units", 2),
    "after-rebasing-three-units-below": ("update_one", "units", 5),
    "before-claiming-the-last-step": ("insert_many", "journal_steps", 1),
    "before-announcing-the-move": ("publish", "broker", 1),
}


@pytest.mark.parametrize("crash", list(MOVE_CRASHES))
def test_a_move_killed_part_way_is_finished_once_at_the_next_start(service_as, store, street, db, broker, clock,
                                                                     crash):
    estate, grid = find_place(street, MINGDU), find_place(street, "嘉园社区/第一网格")
    die_at(db, *MOVE_CRASHES[crash])
    with pytest.raises(Died):
        service_as().move_unit(unit_id=estate, new_parent_id=grid)

    fresh = restart(db, broker, clock)
    swept(fresh, clock)

    moved = fresh.units.get(estate)
    below = fresh.units.descendants(estate)
    assert len(below) == 6 and "rebase_pending" not in moved
    for unit in below:
        assert unit["path"][:5] == ["雨花区", "左家塘街道", "嘉园社区", "第一网格", "名都凯旋城"], unit["path"]
        assert unit["ancestors"][:5] == [*moved["ancestors"], estate] and "rebase_pending" not in unit
    assert len(announced(broker, "unit_changed", "moved")) == 1
    nothing_left_to_finish(fresh, db, broker, clock)


def test_a_rename_killed_between_its_units_is_left_to_its_repeat_which_finishes_it(
        service_as, store, street, db, broker, clock):
    building = find_place(street, "嘉园社区/金昌花园/2栋")
    die_at(db, "update_one", "units", 2)  # the first unit below renamed, the second not
    with pytest.raises(Died):
        service_as().rename_unit(unit_id=building, name="二栋", request_id="r-rename-2")
    fresh = restart(db, broker, clock)
    half_done = sorted(u["path"][-2] for u in fresh.units.descendants(building))

    service_as(on=fresh).rename_unit(unit_id=building, name="二栋", request_id="r-rename-2")

    assert half_done == ["2栋", "二栋"]  # the start-up work does not know of renames
    assert [u["path"][-2] for u in fresh.units.descendants(building)] == ["二栋", "二栋"]
    assert fresh.units.get(building)["name"] == "二栋"
    assert len(announced(broker, "unit_changed", "renamed")) == 1


def appoint_killed_writing_the_unit(store, street, db) -> None:
    appointment = appointment_in("screened", store, street)
    die_at(db, "update_one", "units", 1)  # the unit's leaders step: claimed, its write not done
    with pytest.raises(Died):
        take(store, appointment["_id"], "appoint")


def move_killed_writing_its_last_step(store, street, db) -> None:
    die_at(db, "update_one", "units", 8)  # the estate, its six units, then the move's last step: claimed, not written
    with pytest.raises(Died):
        commands.move_unit(store, OPS, {
            "unit_id": find_place(street, MINGDU), "new_parent_id": find_place(street, "嘉园社区/第一网格")})


# the process dies after claiming the unit's next version and before writing the unit
CLAIMED_NOT_WRITTEN = {"appoint": appoint_killed_writing_the_unit, "move": move_killed_writing_its_last_step}


@pytest.mark.parametrize("killed", list(CLAIMED_NOT_WRITTEN))
def test_start_up_work_meeting_a_dead_writers_claim_fails_until_the_sweep_frees_the_version(
        store, street, db, broker, clock, killed):
    """The service retries its start-up work in the background with backoff (`MongoStore`),
    so it finishes once the sweep has voided the claim."""
    CLAIMED_NOT_WRITTEN[killed](store, street, db)

    with pytest.raises(Conflict):
        restart(db, broker, clock)


@pytest.mark.parametrize("killed", list(CLAIMED_NOT_WRITTEN))
def test_a_command_killed_between_claiming_the_units_version_and_writing_it_is_finished_once_swept(
        store, street, db, broker, clock, killed):
    CLAIMED_NOT_WRITTEN[killed](store, street, db)
    die_at(db, "", None)
    fresh = process(db, broker, clock)

    swept(fresh, clock)  # voids the claimed step, freeing the unit's version
    commands.finish_interrupted_work(fresh)

    assert fresh.appointments.with_leaders_pending() == [] and fresh.units.with_pending_rebase() == []
    assert len(announced(broker, "unit_changed", "moved" if killed == "move" else "leaders_changed")) == 1
    nothing_left_to_finish(fresh, db, broker, clock)


def test_journal_state_shows_the_step_a_dead_process_left_unannounced_until_it_is_swept(
        service_as, store, street, db, broker, clock):
    die_at(db, "publish", "broker", 1)
    with pytest.raises(Died):
        service_as().retire_unit(unit_id=find_place(street, "嘉园社区/金昌花园/3栋/2单元"), reason="整栋拆迁")
    fresh = restart(db, broker, clock)
    service = service_as(on=fresh)

    before = service.journal_state()
    swept(fresh, clock)

    assert before["unfinished_steps"] == 1 and before["oldest_unfinished_seconds"] == 0
    assert service.journal_state()["unfinished_steps"] == 0
    assert len(announced(broker, "unit_changed", "retired")) == 1

"""Many callers giving one name under one parent at once, through two rosters processes: one
unit gets it each round, every other caller hears `SiblingNameTaken` naming `name`."""

import pytest

import services.rosters.exceptions  # noqa: F401 - maps SiblingNameTaken back to its class
from services.rosters.demo import find_place
from tests.integration.races.conftest import CALLERS
from tests.integration.races.racing import EventCounter, per, race, report

ROUNDS = 8
ESTATE = "嘉园社区/金昌花园"


@pytest.fixture
def rosters_db(race_db):
    return race_db[0]


def active_named(rosters_db, parent_id: str, name: str) -> int:
    return rosters_db.units.count_documents({"parent_id": parent_id, "name": name, "retired": False})


def assert_one_winner_per_round(rounds) -> None:
    assert [r.winners for r in rounds] == [1] * len(rounds), [r.errors[:1] for r in rounds]
    assert [set(r.lost_by) for r in rounds] == [{"SiblingNameTaken"}] * len(rounds), [r.errors[:1] for r in rounds]
    assert all(e.details[0]["field"] == "name" and e.details[0]["reason_zh"] for r in rounds for e in r.errors)


def test_of_many_callers_creating_one_name_under_one_parent_at_once_one_unit_is_made(
        callers, street, rosters_db, race_env):
    estate = find_place(street, ESTATE)
    tap = EventCounter(race_env["AMQP_URI"], "rosters", ["unit_created"])
    rounds = []

    for n in range(ROUNDS):
        rounds.append(race([c.rosters.create_unit for c in callers],
                           [{"parent_id": estate, "name": f"竞{n}栋", "level": "building"}] * CALLERS))

    created = per(tap.collect(ROUNDS), lambda p: p["name"], "unit_created")
    stored = [active_named(rosters_db, estate, f"竞{n}栋") for n in range(ROUNDS)]
    report("rosters create_unit (one name)", rounds, CALLERS, [created[f"竞{n}栋"] for n in range(ROUNDS)],
           f"units_per_name={stored}")
    assert_one_winner_per_round(rounds)
    assert stored == [1] * ROUNDS
    assert [created[f"竞{n}栋"] for n in range(ROUNDS)] == [1] * ROUNDS


def test_of_many_siblings_renamed_to_one_name_at_once_one_gets_it(ops, callers, street, rosters_db):
    estate = find_place(street, ESTATE)
    rivals = CALLERS // 2
    rounds = []

    for n in range(ROUNDS // 2):
        units = [ops.rosters.create_unit(parent_id=estate, name=f"改{n}-{i}栋", level="building")
                 for i in range(rivals)]
        rounds.append(race([c.rosters.rename_unit for c in callers[:rivals]],
                           [{"unit_id": u["unit_id"], "name": f"新{n}栋"} for u in units]))

    stored = [active_named(rosters_db, estate, f"新{n}栋") for n in range(len(rounds))]
    report("rosters rename_unit (siblings to one name)", rounds, rivals, [0] * len(rounds), f"units_per_name={stored}")
    assert_one_winner_per_round(rounds)
    assert stored == [1] * len(rounds)

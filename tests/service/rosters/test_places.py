"""The places kept on each person and appointment follow the tree: a move carries the people
below the moved unit into their new jurisdiction (also when the process dies part way, at the
next start), an application makes the applicant seen where they applied, and what was stored
before places were kept is filled in at start."""

import pytest

from services.rosters import starting
from services.rosters.demo import find_place
from services.rosters.exceptions import MoveWouldCycle
from tests.fakes.mongo import Died
from tests.service.rosters.conftest import OPS, die_at, kept, process
from tests.service.rosters.making import LUO, actor_at, applicant

JINCHANG, HUAER_ZONE = "嘉园社区/金昌花园", "联福社区/华尔星城片区"
JINCHANG_LEADERS = {"康早新", "苏瑞安", "周建强"}


def names(people) -> set[str]:
    return {p["name"] for p in people}


def seen_by(service_as, street, community: str) -> set[str]:
    return names(service_as(actor_at(street, "书记", "secretary", community)).search_people(limit=200))


def test_people_below_an_estate_moved_to_another_community_are_seen_there_and_no_longer_here(service_as, street):
    estate = find_place(street, JINCHANG)

    service_as().move_unit(unit_id=estate, new_parent_id=find_place(street, HUAER_ZONE))

    assert seen_by(service_as, street, "联福社区") >= JINCHANG_LEADERS
    assert not JINCHANG_LEADERS & seen_by(service_as, street, "嘉园社区")
    lianfu_rows = service_as().appointments(node_id=find_place(street, "联福社区"), role="unit_leader")
    assert names(lianfu_rows) == JINCHANG_LEADERS
    assert service_as().appointments(node_id=find_place(street, "嘉园社区"), role="unit_leader") != []


def test_a_move_refused_leaves_no_mark_and_changes_nothing(service_as, street, db):
    estate = find_place(street, JINCHANG)
    before = kept(db)

    with pytest.raises(MoveWouldCycle):
        service_as().move_unit(unit_id=estate, new_parent_id=find_place(street, f"{JINCHANG}/2栋"))

    assert kept(db) == before


@pytest.mark.parametrize("crash", [("update_one", "people", 1), ("update_one", "appointments", 2),
                                   ("delete_one", "place_repairs", 1), ("update_one", "units", 4)])
def test_a_move_killed_before_its_people_followed_is_followed_at_the_next_start(
        service_as, street, db, broker, clock, crash):
    estate = find_place(street, JINCHANG)
    die_at(db, *crash)
    with pytest.raises(Died):
        service_as().move_unit(unit_id=estate, new_parent_id=find_place(street, HUAER_ZONE))
    die_at(db, "", None)
    fresh = process(db, broker, clock)

    starting.start_up(fresh)

    assert seen_by(lambda actor: service_as(actor, on=fresh), street, "联福社区") >= JINCHANG_LEADERS
    assert not JINCHANG_LEADERS & seen_by(lambda actor: service_as(actor, on=fresh), street, "嘉园社区")
    assert fresh.place_repairs.pending() == []


def test_an_applicant_is_seen_in_the_community_they_applied_to(service_as, store, street):
    applicant(store, street)

    assert LUO["name"] in seen_by(service_as, street, "嘉园社区")
    assert LUO["name"] not in seen_by(service_as, street, "联福社区")


def test_an_application_killed_before_the_person_was_placed_is_placed_at_the_next_start(
        service_as, store, street, db, broker, clock):
    die_at(db, "update_one", "people", 1)
    with pytest.raises(Died):
        applicant(store, street)
    die_at(db, "", None)
    fresh = process(db, broker, clock)

    starting.start_up(fresh)

    assert LUO["name"] in seen_by(lambda actor: service_as(actor, on=fresh), street, "嘉园社区")
    assert fresh.appointments.with_places_pending() == []


def test_people_and_appointments_stored_before_places_were_kept_are_placed_at_start(service_as, store, street, db):
    for person in db["people"].docs.values():
        person.pop("places")
    for appointment in db["appointments"].docs.values():
        appointment.pop("lineage")
    assert seen_by(service_as, street, "嘉园社区") == set()

    starting.start_up(store)

    assert seen_by(service_as, street, "嘉园社区") >= JINCHANG_LEADERS
    assert len(service_as().appointments(node_id=find_place(street, "嘉园社区"))) == 7
    before = kept(db)
    starting.start_up(store)
    assert kept(db) == before


def test_a_person_registered_by_root_without_a_home_is_seen_by_root_alone_until_they_apply(service_as, street):
    service_as().register_person(**{**LUO, "phone": "13807317777"})

    assert LUO["name"] not in seen_by(service_as, street, "嘉园社区")
    assert LUO["name"] in names(service_as(OPS).search_people(name=LUO["name"]))

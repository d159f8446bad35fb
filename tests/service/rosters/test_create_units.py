"""Many places in one call (`create_units`): a tree under one parent, each place created and
announced as `create_unit` creates it, the whole tree checked before the first is written;
a repeat creates nothing twice."""

import pytest

from services.rosters.demo import find_place
from shared.errors import Conflict, Forbidden, ValidationFailed
from tests.service.rosters.conftest import kept
from tests.service.rosters.making import actor_at

JINCHANG = "嘉园社区/金昌花园"
FOURTH = {"name": "4栋", "level": "building", "children": [
    {"name": "1单元", "level": "unit"}, {"name": "2单元", "level": "unit"}]}
FIFTH = {"name": "5栋", "level": "building", "children": [{"name": "1单元", "level": "unit"}]}


def test_two_buildings_with_their_units_are_created_under_an_estate_and_each_announced(service_as, street, broker):
    estate = find_place(street, JINCHANG)

    report = service_as().create_units(parent_id=estate, units=[FOURTH, FIFTH])

    assert report["created"] == {"building": 2, "unit": 3} and report["existing"] == {}
    assert [u["path"][-2:] for u in report["units"]] == [
        ["金昌花园", "4栋"], ["4栋", "1单元"], ["4栋", "2单元"], ["金昌花园", "5栋"], ["5栋", "1单元"]]
    assert [e["payload"]["unit_id"] for e in broker.of("unit_created")] == [u["unit_id"] for u in report["units"]]
    fourth = report["units"][0]["unit_id"]
    assert [c["name"] for c in service_as().children(unit_id=fourth)] == ["1单元", "2单元"]


def test_sending_the_same_tree_again_creates_nothing_twice(service_as, street, broker, db):
    service = service_as()
    first = service.create_units(parent_id=find_place(street, JINCHANG), units=[FOURTH])
    before, announced = kept(db), list(broker.published)

    again = service.create_units(parent_id=find_place(street, JINCHANG), units=[FOURTH])

    assert again["created"] == {} and again["existing"] == {"building": 1, "unit": 2}
    assert [u["unit_id"] for u in again["units"]] == [u["unit_id"] for u in first["units"]]
    assert kept(db) == before and broker.published == announced


def test_places_already_there_are_kept_and_only_the_missing_ones_created(service_as, street):
    report = service_as().create_units(parent_id=find_place(street, JINCHANG), units=[
        {"name": "2栋", "level": "building", "children": [{"name": "2单元", "level": "unit"},
                                                          {"name": "3单元", "level": "unit"}]}])

    assert report["existing"] == {"building": 1, "unit": 1} and report["created"] == {"unit": 1}
    assert report["units"][0]["unit_id"] == find_place(street, f"{JINCHANG}/2栋")


def test_a_repeat_with_its_request_id_gets_the_first_answer(service_as, street, db):
    service = service_as()
    first = service.create_units(parent_id=find_place(street, JINCHANG), units=[FOURTH], request_id="r-bulk-4")
    before = kept(db)

    again = service.create_units(parent_id=find_place(street, JINCHANG), units=[FOURTH], request_id="r-bulk-4")

    assert again == first and kept(db) == before


def test_a_whole_community_is_created_from_the_street_down_with_its_own_levels(service_as, street):
    report = service_as().create_units(parent_id=find_place(street, "左家塘街道"), units=[{
        "name": "东塘社区", "level": "community", "config": {"levels": ["alley", "building"]},
        "children": [{"name": "窑岭巷", "level": "alley", "children": [{"name": "3号楼", "level": "building"}]}]}])

    assert report["created"] == {"community": 1, "alley": 1, "building": 1}
    assert report["units"][-1]["path"][-3:] == ["东塘社区", "窑岭巷", "3号楼"]


@pytest.mark.parametrize("units, field", [
    ([{**FOURTH, "children": [{"name": "1单元", "level": "building"}]}], "units.0.children.0.level"),
    ([FOURTH, {**FIFTH, "children": [{"name": "1单元", "level": "unit"}, {"name": "1单元", "level": "unit"}]}],
     "units.1.children.1.name"),
    ([FOURTH, {"name": "4栋", "level": "building"}], "units.1.name"),
    ([{"name": "二组", "level": "grid"}], "units.0.level"),
], ids=["a-unit-level-under-itself", "twin-units", "twin-buildings", "a-level-the-community-does-not-use-here"])
def test_a_tree_with_a_place_that_cannot_be_created_is_refused_naming_it_before_anything_is_written(
        service_as, street, db, broker, units, field):
    before = kept(db)

    with pytest.raises(ValidationFailed) as refused:
        service_as().create_units(parent_id=find_place(street, JINCHANG), units=units)

    assert field in refused.value.fields, refused.value.to_dict()
    assert kept(db) == before and broker.published == []


def test_a_place_whose_name_is_taken_at_another_level_is_a_conflict_naming_it(service_as, street):
    with pytest.raises(Conflict) as taken:
        service_as().create_units(parent_id=find_place(street, f"{JINCHANG}/2栋"), units=[
            {"name": "1单元", "level": "household"}])

    assert [d["field"] for d in taken.value.details] == ["units.0.level"]


def test_a_caller_of_another_community_may_not_create_places_here(service_as, street, db):
    before = kept(db)

    with pytest.raises(Forbidden):
        service_as(actor_at(street, "何涛", "secretary", "联福社区")).create_units(
            parent_id=find_place(street, JINCHANG), units=[FOURTH])

    assert kept(db) == before

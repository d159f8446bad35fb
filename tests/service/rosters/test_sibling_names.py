"""Two active children of one unit never share a name: creating, renaming or moving into a
clash is a `Conflict` naming `name` that changes nothing; a retired sibling's name is free."""

from datetime import timedelta

import pytest

from services.rosters import siblings
from services.rosters.demo import find_place
from services.rosters.exceptions import SiblingNameTaken, UnitStillHasUnits
from shared.clock import utcnow
from shared.errors import Conflict, ValidationFailed
from tests.fakes.mongo import Died
from tests.service.rosters.conftest import die_at, kept, process, worker

JINCHANG = "嘉园社区/金昌花园"
MINGDU = "嘉园社区/名都凯旋城"


def assert_refused_naming_the_name(refusal: pytest.ExceptionInfo) -> None:
    assert isinstance(refusal.value, Conflict) and refusal.value.code == "conflict"
    assert refusal.value.details == [{"field": "name", "reason": "is already the name of a sibling",
                                      "reason_zh": "名称（name）与同一上级下的另一单位重名"}]


@pytest.mark.parametrize("name", ["2栋", "２栋", " 2栋 "], ids=["same", "full-width", "spaced"])
def test_a_new_building_named_like_an_active_sibling_is_refused_and_changes_nothing(
        service_as, street, db, broker, name):
    before, announced = kept(db), list(broker.published)

    with pytest.raises(SiblingNameTaken) as refused:
        service_as().create_unit(parent_id=find_place(street, JINCHANG), name=name, level="building")

    assert_refused_naming_the_name(refused)
    assert kept(db) == before and broker.published == announced


def test_the_same_name_under_two_parents_is_two_units(service_as, street):
    service = service_as()

    first = service.create_unit(parent_id=find_place(street, JINCHANG), name="9栋", level="building")
    second = service.create_unit(parent_id=find_place(street, MINGDU), name="9栋", level="building")

    assert first["unit_id"] != second["unit_id"]


def test_a_retired_siblings_name_may_be_given_again(service_as, street):
    service = service_as()
    for unit in ("1单元", "2单元"):
        service.retire_unit(unit_id=find_place(street, f"{JINCHANG}/3栋/{unit}"), reason="整栋拆迁")
    service.retire_unit(unit_id=find_place(street, f"{JINCHANG}/3栋"), reason="整栋拆迁")

    rebuilt = service.create_unit(parent_id=find_place(street, JINCHANG), name="3栋", level="building")

    assert rebuilt["path"][-1] == "3栋" and rebuilt["retired"] is False


def test_renaming_into_a_siblings_name_is_refused_and_changes_nothing(service_as, street, db, broker):
    before, announced = kept(db), list(broker.published)

    with pytest.raises(SiblingNameTaken) as refused:
        service_as().rename_unit(unit_id=find_place(street, f"{JINCHANG}/2栋"), name="1栋")

    assert_refused_naming_the_name(refused)
    assert kept(db) == before and broker.published == announced


def test_a_renamed_units_old_name_is_free_and_its_new_one_taken(service_as, street):
    service, estate = service_as(), find_place(street, JINCHANG)
    service.rename_unit(unit_id=find_place(street, f"{JINCHANG}/2栋"), name="二栋")

    again = service.create_unit(parent_id=estate, name="2栋", level="building")
    with pytest.raises(SiblingNameTaken):
        service.create_unit(parent_id=estate, name="二栋", level="building")

    assert again["name"] == "2栋"


def test_a_unit_may_be_renamed_to_another_spelling_of_its_own_name(service_as, street):
    renamed = service_as().rename_unit(unit_id=find_place(street, f"{JINCHANG}/2栋"), name="２栋")

    assert renamed["name"] == "２栋"


def test_moving_a_unit_beside_a_sibling_of_its_name_is_refused_and_changes_nothing(service_as, street, db, broker):
    service = service_as()
    second_five = service.create_unit(parent_id=find_place(street, MINGDU), name="5栋", level="building")
    service.create_unit(parent_id=find_place(street, JINCHANG), name="5栋", level="building")
    before, announced = kept(db), list(broker.published)

    with pytest.raises(SiblingNameTaken) as refused:
        service.move_unit(unit_id=second_five["unit_id"], new_parent_id=find_place(street, JINCHANG))

    assert_refused_naming_the_name(refused)
    assert kept(db) == before and broker.published == announced


def test_a_moved_units_name_is_free_where_it_was(service_as, street):
    service = service_as()
    moved = service.create_unit(parent_id=find_place(street, MINGDU), name="5栋", level="building")
    service.move_unit(unit_id=moved["unit_id"], new_parent_id=find_place(street, JINCHANG))

    again = service.create_unit(parent_id=find_place(street, MINGDU), name="5栋", level="building")

    assert again["unit_id"] != moved["unit_id"]


def test_a_sibling_stored_before_names_were_claimed_keeps_its_name(service_as, store, street):
    estate = store.units.get(find_place(street, JINCHANG))
    store.units.coll.insert_one({"_id": "unit_old_8", "name": "8栋", "level": "building", "parent_id": estate["_id"],
                                 "ancestors": [*estate["ancestors"], estate["_id"]], "path": [*estate["path"], "8栋"],
                                 "community_id": estate["community_id"], "retired": False, "leaders": []})

    with pytest.raises(SiblingNameTaken):
        service_as().create_unit(parent_id=estate["_id"], name="8栋", level="building")

    assert store.sibling_names.coll.find_one({"_id": f"{estate['_id']}:8栋"})["unit_id"] == "unit_old_8"


def test_a_create_repeated_after_dying_between_claiming_its_name_and_writing_its_unit_makes_the_unit(
        db, broker, clock, street):
    estate = find_place(street, JINCHANG)
    request = {"parent_id": estate, "name": "6栋", "level": "building", "request_id": "r-six"}
    die_at(db, "insert_many", "journal_steps")  # its name claimed, nothing of the unit written

    with pytest.raises(Died):
        worker(process(db, broker, clock)).create_unit(**request)
    die_at(db, "", None)
    made = worker(process(db, broker, clock)).create_unit(**request)

    assert made["name"] == "6栋" and made["parent_id"] == estate


def test_a_name_left_claimed_by_a_create_that_died_is_free_again_after_the_hold(
        db, broker, clock, street, monkeypatch):
    estate = find_place(street, JINCHANG)
    die_at(db, "insert_many", "units")
    with pytest.raises(Died):
        worker(process(db, broker, clock)).create_unit(parent_id=estate, name="6栋", level="building")
    die_at(db, "", None)
    later = worker(process(db, broker, clock))

    with pytest.raises(SiblingNameTaken):
        later.create_unit(parent_id=estate, name="6栋", level="building")
    monkeypatch.setattr(siblings, "utcnow", lambda: utcnow() + timedelta(seconds=siblings.HOLD_SECONDS + 1))
    made = later.create_unit(parent_id=estate, name="6栋", level="building")

    assert made["name"] == "6栋"


def test_a_building_with_active_units_is_not_retired_and_nothing_is_built_under_a_retired_one(
        service_as, street, db, broker):
    service = service_as()
    before, announced = kept(db), list(broker.published)

    with pytest.raises(UnitStillHasUnits) as refused:
        service.retire_unit(unit_id=find_place(street, f"{JINCHANG}/3栋"), reason="整栋拆迁")

    assert refused.value.details[0]["field"] == "unit_id"
    assert kept(db) == before and broker.published == announced
    for unit in ("1单元", "2单元"):
        service.retire_unit(unit_id=find_place(street, f"{JINCHANG}/3栋/{unit}"), reason="整栋拆迁")
    service.retire_unit(unit_id=find_place(street, f"{JINCHANG}/3栋"), reason="整栋拆迁")
    with pytest.raises(ValidationFailed) as under_retired:
        service.create_unit(parent_id=find_place(street, f"{JINCHANG}/3栋"), name="2单元", level="unit")
    assert under_retired.value.fields == {"parent_id": "the unit is retired"}

"""The jurisdiction tree through its RPC methods: a new unit placed under its parent, a rename
and a move carried down to every unit below, a retirement; each announced once, a rename
repeated with its request id answered from the request log."""

from collections import Counter

import pytest

from services.rosters import commands
from services.rosters.demo import find_place
from services.rosters.exceptions import UnitNotFound
from shared.errors import Conflict
from tests.service.rosters.conftest import OPS, before_next, kept, process
from tests.service.rosters.making import appointment_in, take

JINCHANG = "嘉园社区/金昌花园"
MINGDU = "嘉园社区/名都凯旋城"
ABOVE_JIAYUAN = ["雨花区", "左家塘街道", "嘉园社区"]


def below(store, street, place: str) -> list[dict]:
    return sorted(store.units.descendants(find_place(street, place)), key=lambda u: u["path"])


def test_a_new_building_is_placed_under_its_estate_and_announced(service_as, street, broker):
    estate = find_place(street, JINCHANG)

    building = service_as().create_unit(parent_id=estate, name="4栋", level="building")

    assert building["path"] == [*ABOVE_JIAYUAN, "第一网格", "红花坡片区", "金昌花园", "4栋"]
    assert building["ancestors"][-1] == estate and building["parent_id"] == estate
    assert building["community_id"] == find_place(street, "嘉园社区")
    assert [e["payload"] for e in broker.published] == [{
        "unit_id": building["unit_id"], "name": "4栋", "level": "building", "parent_id": estate,
        "community_id": building["community_id"]}]
    assert broker.published[0]["type"] == "unit_created"


def test_renaming_a_building_renames_it_in_the_path_of_every_unit_below_and_announces_it_once(
        service_as, store, street, broker):
    building = find_place(street, f"{JINCHANG}/2栋")

    renamed = service_as().rename_unit(unit_id=building, name="二栋")

    assert renamed["path"][-2:] == ["金昌花园", "二栋"] and renamed["name"] == "二栋"
    assert [u["path"][-2:] for u in below(store, street, f"{JINCHANG}/2栋")] == [["二栋", "1单元"], ["二栋", "2单元"]]
    assert [(e["type"], e["payload"]) for e in broker.published] == [("unit_changed", {
        "unit_id": building, "community_id": renamed["community_id"], "change": "renamed", "subtree": True})]


def test_moving_an_estate_rebases_every_unit_below_it_and_announces_the_move_once(service_as, store, street, broker):
    estate, grid = find_place(street, MINGDU), find_place(street, "嘉园社区/第一网格")

    moved = service_as().move_unit(unit_id=estate, new_parent_id=grid)

    assert moved["path"] == [*ABOVE_JIAYUAN, "第一网格", "名都凯旋城"]
    for unit in below(store, street, MINGDU):
        assert unit["path"][:5] == moved["path"], unit["path"]
        assert unit["ancestors"][:len(moved["ancestors"]) + 1] == [*moved["ancestors"], estate]
        assert find_place(street, "红花坡片区") not in unit["ancestors"]
        assert "rebase_pending" not in unit
    assert len(below(store, street, MINGDU)) == 6
    assert [(e["payload"]["unit_id"], e["payload"]["change"], e["payload"]["subtree"])
            for e in broker.published] == [(estate, "moved", True)]
    assert store.units.with_pending_rebase() == []


def test_moving_an_estate_to_another_community_takes_every_unit_below_into_that_community(
        service_as, store, street):
    estate, lianfu = find_place(street, JINCHANG), find_place(street, "联福社区")

    service_as().move_unit(unit_id=estate, new_parent_id=find_place(street, "联福社区/华尔星城片区"))

    units = [store.units.get(estate), *below(store, street, JINCHANG)]
    assert {u["community_id"] for u in units} == {lianfu}
    assert {tuple(u["path"][:4]) for u in units} == {("北湖区", "北湖街道", "联福社区", "华尔星城片区")}


def test_a_retired_unit_is_no_longer_found_at_its_path_and_its_retirement_is_announced(
        service_as, store, street, broker):
    unit_id = find_place(street, f"{JINCHANG}/3栋/2单元")
    path = store.units.get(unit_id)["path"]
    service = service_as()

    retired = service.retire_unit(unit_id=unit_id, reason="整栋拆迁")

    assert retired["retired"] is True and store.units.get(unit_id)["retired_reason"] == "整栋拆迁"
    with pytest.raises(UnitNotFound):
        service.locate_unit(path=path)
    assert [(e["type"], e["payload"]["change"], e["payload"]["subtree"]) for e in broker.published] == [
        ("unit_changed", "retired", False)]


def test_a_rename_repeated_with_its_request_id_gets_the_first_answer_and_changes_nothing(
        service_as, store, street, broker, db):
    building = find_place(street, f"{JINCHANG}/2栋")
    service = service_as()
    first = service.rename_unit(unit_id=building, name="二栋", request_id="r-rename-2")
    before, announced = kept(db), list(broker.published)

    again = service.rename_unit(unit_id=building, name="二栋", request_id="r-rename-2")

    assert again == first
    assert kept(db) == before
    assert broker.published == announced


def test_a_request_id_used_again_for_another_rename_is_a_conflict_naming_it_and_changes_nothing(
        service_as, store, street, broker, db):
    building = find_place(street, f"{JINCHANG}/2栋")
    service = service_as()
    service.rename_unit(unit_id=building, name="二栋", request_id="r-rename-2")
    before, announced = kept(db), list(broker.published)

    with pytest.raises(Conflict) as reused:
        service.rename_unit(unit_id=building, name="贰栋", request_id="r-rename-2")

    assert [d["field"] for d in reused.value.details] == ["request_id"]
    assert kept(db) == before and broker.published == announced


def test_a_rename_that_loses_the_units_version_to_a_new_leader_is_written_after_it_and_keeps_the_leader(
        store, street, broker, db, clock):
    appointment = appointment_in("screened", store, street)
    unit = store.units.get(appointment["unit_id"])
    other = process(db, broker, clock)
    before_next(store.units.journal, "commit", lambda: take(other, appointment["_id"], "appoint"))

    commands.rename_unit(store, OPS, {"unit_id": unit["_id"], "name": "二单元"})

    after = store.units.get(unit["_id"])
    assert (after["name"], after["version"]) == ("二单元", unit["version"] + 2)
    assert [leader["name"] for leader in after["leaders"]] == ["罗小兰"]
    assert Counter(e["payload"]["change"] for e in broker.of("unit_changed")) == Counter(
        leaders_changed=1, renamed=1)

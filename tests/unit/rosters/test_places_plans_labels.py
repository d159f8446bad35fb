"""Who may see a person (their places), a tree of new places checked before it is created,
and the Chinese labels of rosters' codes: plain functions, no database."""

import pytest

from services.rosters import labels, places, plans
from services.rosters.tree import DEFAULT_ROLES, LEVEL_RANK
from shared.actor import Actor
from shared.errors import ValidationFailed

JIAYUAN = {"_id": "unit_jiayuan", "name": "嘉园社区", "level": "community", "ancestors": ["unit_yuhua", "unit_zjt"],
           "config": {"levels": ["grid", "zone", "estate", "building", "unit", "household"]}}
JINCHANG = {"_id": "unit_jinchang", "name": "金昌花园", "level": "estate",
            "ancestors": ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1"]}
UNIT_2_1 = {"_id": "unit_jc2_1", "level": "unit", "ancestors": [*JINCHANG["ancestors"], "unit_jinchang", "unit_jc2"]}
KANG = {"_id": "person_kang", "places": places.places_of([UNIT_2_1, JINCHANG])}


def test_a_persons_places_are_every_unit_above_their_units_each_once():
    assert KANG["places"] == ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_jinchang", "unit_jc2",
                              "unit_jc2_1"]


@pytest.mark.parametrize("actor, sees", [
    (Actor("曾玉琴", "secretary", ("unit_yuhua", "unit_zjt", "unit_jiayuan")), True),
    (Actor("刘红", "grid_leader", ("unit_grid1",)), True),
    (Actor("何涛", "secretary", ("unit_lianfu",)), False),
    (Actor("某人", "secretary"), False),
    (Actor("ops", "admin"), True),
    (Actor("district-portal", "system"), True),
])
def test_a_person_is_seen_by_root_and_by_callers_whose_own_unit_is_among_their_places(actor, sees):
    assert places.sees(actor, KANG) is sees


def test_the_scope_of_reads_is_the_callers_own_unit_none_for_root_and_nowhere_without_a_jurisdiction():
    assert places.scope(Actor("曾玉琴", "secretary", ("unit_yuhua", "unit_jiayuan"))) == "unit_jiayuan"
    assert places.scope(Actor("ops", "admin")) is None
    assert places.scope(Actor("某人", "unit_leader")) == places.NOWHERE


def nested(depth: int) -> list[dict]:
    units: list[dict] = []
    for _ in range(depth):
        units = [{"name": "某地", "level": "unit", "children": units}]
    return units


@pytest.mark.parametrize("units, too_big", [
    (nested(plans.MAX_DEPTH), False), (nested(plans.MAX_DEPTH + 1), True),
    ([{"name": str(i)} for i in range(plans.MAX_NODES)], False),
    ([{"name": str(i)} for i in range(plans.MAX_NODES + 1)], True),
    ("not a list", False), ([42, {"children": "nope"}], False),
])
def test_a_tree_of_new_places_is_too_big_beyond_its_depth_or_count(units, too_big):
    assert (plans.oversized(units) is not None) is too_big


def test_a_plan_whose_places_fit_their_parents_and_community_passes():
    plans.check_plan(JINCHANG, JIAYUAN, [{"name": "4栋", "level": "building", "children": [
        {"name": "1单元", "level": "unit", "children": [{"name": "101", "level": "household"}]}]}])


@pytest.mark.parametrize("parent, community, units, field", [
    (JINCHANG, JIAYUAN, [{"name": "小区", "level": "estate"}], "units.0.level"),
    (JINCHANG, JIAYUAN, [{"name": "4栋", "level": "building", "children": [{"name": "1单元", "level": "building"}]}],
     "units.0.children.0.level"),
    (JINCHANG, JIAYUAN, [{"name": "4栋", "level": "building"}, {"name": "4栋", "level": "building"}], "units.1.name"),
    (None, None, [{"name": "某街道", "level": "street"}], "units.0.parent_id"),
    ({"_id": "unit_zjt", "name": "左家塘街道", "level": "street"}, None,
     [{"name": "东塘社区", "level": "community", "config": {"levels": ["alley"]},
       "children": [{"name": "一组", "level": "building"}]}], "units.0.children.0.level"),
])
def test_a_plan_is_refused_at_the_first_place_that_cannot_be_created_naming_its_position(
        parent, community, units, field):
    with pytest.raises(ValidationFailed) as refused:
        plans.check_plan(parent, community, units)

    assert list(refused.value.fields) == [field]


def test_every_level_role_and_status_has_a_chinese_label():
    table = labels.labels()

    assert [lv["code"] for lv in table["levels"]] == list(LEVEL_RANK)
    assert {r["code"] for r in table["roles"]} == set(DEFAULT_ROLES)
    assert all(r["label"] != r["code"] for r in table["roles"])
    assert all(s["label"] for s in table["statuses"])

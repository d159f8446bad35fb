"""The jurisdiction tree's rules: levels, moves, lineage and community configuration."""

import pytest

from services.rosters.exceptions import LevelNotAllowed, MoveWouldCycle
from services.rosters.tree import (
    DEFAULT_ROLES,
    check_child_level,
    check_community_config,
    check_move,
    community_of,
    default_roles_for,
    lineage,
    rebased,
)
from shared.errors import ValidationFailed

JIAYUAN = {"_id": "unit_jiayuan", "name": "嘉园社区", "level": "community",
           "ancestors": ["unit_yuhua", "unit_zuojiatang"],
           "config": {"levels": ["grid", "zone", "estate", "building", "unit", "household"]}}
JINCHANG = {"_id": "unit_jinchang", "name": "金昌花园", "level": "estate", "community_id": "unit_jiayuan",
            "ancestors": ["unit_yuhua", "unit_zuojiatang", "unit_jiayuan", "unit_grid1", "unit_hhp"]}
BUILDING_2 = {"_id": "unit_jc2", "name": "2栋", "level": "building", "community_id": "unit_jiayuan",
              "ancestors": [*JINCHANG["ancestors"], "unit_jinchang"]}
UNIT_2_1 = {"_id": "unit_jc2_1", "name": "1单元", "level": "unit", "community_id": "unit_jiayuan",
            "ancestors": [*BUILDING_2["ancestors"], "unit_jc2"]}
MINGDU = {"_id": "unit_mingdu", "name": "名都凯旋城", "level": "estate", "community_id": "unit_jiayuan",
          "ancestors": JINCHANG["ancestors"]}


def test_a_root_must_be_a_district():
    check_child_level(None, "district", None)

    with pytest.raises(LevelNotAllowed) as raised:
        check_child_level(None, "street", None)

    assert raised.value.fields == {"parent_id": "required"}


def test_a_building_may_sit_under_an_estate_of_a_community_that_uses_buildings():
    check_child_level(JINCHANG, "building", JIAYUAN)


def test_a_level_may_not_sit_under_its_own_level_or_a_lower_one():
    with pytest.raises(LevelNotAllowed) as raised:
        check_child_level(BUILDING_2, "estate", JIAYUAN)

    assert raised.value.fields == {"level": "must be below building"}


def test_a_level_the_community_did_not_configure_is_not_allowed():
    with pytest.raises(LevelNotAllowed, match="嘉园社区 does not use the level alley") as raised:
        check_child_level({"_id": "unit_hhp", "name": "红花坡片区", "level": "zone"}, "alley", JIAYUAN)

    assert raised.value.fields == {"level": "not configured for community unit_jiayuan"}


def test_levels_above_communities_need_no_community_config():
    check_child_level({"_id": "unit_yuhua", "level": "district"}, "street", None)


def test_moving_a_unit_under_itself_would_make_a_cycle():
    with pytest.raises(MoveWouldCycle) as raised:
        check_move(JINCHANG, JINCHANG)

    assert raised.value.code == "conflict"
    assert "new_parent_id" in {d["field"] for d in raised.value.details}


def test_moving_a_unit_under_one_of_its_descendants_would_make_a_cycle():
    with pytest.raises(MoveWouldCycle, match="moving 金昌花园 under 2栋"):
        check_move(JINCHANG, BUILDING_2)


def test_moving_a_building_under_a_unit_puts_it_at_a_level_not_allowed():
    other_unit = {**UNIT_2_1, "_id": "unit_md1_1", "ancestors": [*MINGDU["ancestors"], "unit_mingdu", "unit_md1"]}

    with pytest.raises(LevelNotAllowed):
        check_move(BUILDING_2, other_unit)


def test_moving_a_building_to_another_estate_is_allowed():
    check_move(BUILDING_2, MINGDU)


def test_lineage_is_the_ancestors_then_the_unit_itself():
    assert lineage(UNIT_2_1)[-3:] == ["unit_jinchang", "unit_jc2", "unit_jc2_1"]


def test_a_community_is_its_own_community_and_others_inherit_their_parents():
    assert community_of(JIAYUAN, {"_id": "unit_zuojiatang", "level": "street"}) == "unit_jiayuan"
    assert community_of(BUILDING_2, JINCHANG) == "unit_jiayuan"
    assert community_of({"_id": "unit_zuojiatang", "level": "street"}, {"_id": "unit_yuhua"}) is None
    assert community_of({"_id": "unit_yuhua", "level": "district"}, None) is None


def test_rebased_ancestors_keep_what_lies_below_the_moved_unit():
    descendant_ancestors = ["unit_yuhua", "unit_zuojiatang", "unit_jiayuan", "unit_grid1", "unit_hhp",
                            "unit_mingdu", "unit_md1"]

    moved = rebased(descendant_ancestors, "unit_mingdu", ["unit_yuhua", "unit_zuojiatang", "unit_jiayuan",
                                                          "unit_grid1", "unit_mingdu"])

    assert moved == ["unit_yuhua", "unit_zuojiatang", "unit_jiayuan", "unit_grid1", "unit_mingdu", "unit_md1"]


def test_default_roles_for_all_levels_are_the_default_roles():
    roles = default_roles_for(["grid", "zone", "estate", "alley", "building", "unit", "household"])

    assert roles == DEFAULT_ROLES


def test_default_roles_keep_only_the_levels_a_community_uses():
    roles = default_roles_for(["zone", "estate", "building", "unit"])

    assert "grid_leader" not in roles and "grid_worker" not in roles
    assert roles["group_leader"] == ["estate"]
    assert roles["alley_steward"] == ["building"]
    assert roles["secretary"] == ["community"]
    assert roles["unit_leader"] == ["unit"]


def test_a_community_config_of_levels_below_the_community_and_roles_on_them_passes():
    check_community_config(["zone", "estate", "building", "unit"],
                           {"secretary": ["community"], "building_leader": ["building"]})


@pytest.mark.parametrize("level", ["street", "community", "tower"])
def test_a_community_config_naming_a_level_that_is_not_below_a_community_fails(level):
    with pytest.raises(ValidationFailed) as raised:
        check_community_config(["estate", level], {})

    assert raised.value.fields == {"levels": f"not levels below a community: {level}"}


def test_a_role_on_a_level_the_community_does_not_use_fails_naming_the_role():
    with pytest.raises(ValidationFailed) as raised:
        check_community_config(["zone", "estate"], {"unit_leader": ["unit"]})

    assert raised.value.fields == {"roles.unit_leader": "levels not configured for this community: unit"}

"""The reference router: who is responsible (啥事儿该找谁), and the reason in plain words."""

from services.cases.routing import Suggestion, reference

LIU_HONG = {"person_id": "person_liuhong", "name": "刘红", "role": "grid_leader", "phone": "138****0002"}
JIAYUAN = {"unit_id": "unit_jiayuan", "name": "嘉园社区", "level": "community", "facts": {}, "leaders": []}
GRID_1 = {"unit_id": "unit_grid1", "name": "第一网格", "level": "grid", "facts": {}, "leaders": [LIU_HONG]}
HONGHUAPO = {"unit_id": "unit_hhp", "name": "红花坡片区", "level": "zone", "facts": {}, "leaders": []}
JINCHANG = {"unit_id": "unit_jinchang", "name": "金昌花园", "level": "estate",
            "facts": {"has_property_company": False}, "leaders": []}
MINGDU = {"unit_id": "unit_mingdu", "name": "名都凯旋城", "level": "estate",
          "facts": {"has_property_company": True, "property_company": "凯旋物业"}, "leaders": []}


def chain_in(estate: dict, grid: dict = GRID_1) -> list[dict]:
    """The responsible chain from 1单元 of 2栋 up to 嘉园社区."""
    unit = {"unit_id": f"{estate['unit_id']}_2_1", "name": "1单元", "level": "unit", "facts": {}, "leaders": []}
    building = {"unit_id": f"{estate['unit_id']}_2", "name": "2栋", "level": "building", "facts": {}, "leaders": []}
    return [unit, building, estate, HONGHUAPO, grid, JIAYUAN]


def case_of(category: str, label: str, place: str = "shared") -> dict:
    return {"_id": "case_jc2", "category": category, "category_label": label, "place": place}


def test_a_drain_in_an_estate_without_a_property_company_goes_to_the_community():
    suggestion = reference(case_of("drains", "下水道堵塞"), chain_in(JINCHANG))

    assert (suggestion.kind, suggestion.name, suggestion.party_id) == ("community", "嘉园社区", "unit_jiayuan")
    assert "金昌花园" in suggestion.reason and "无物业" in suggestion.reason
    assert suggestion.mediation is False


def test_a_drain_inside_a_home_in_an_estate_with_a_property_company_goes_to_that_company():
    suggestion = reference(case_of("drains", "下水道堵塞", place="home"), chain_in(MINGDU))

    assert (suggestion.kind, suggestion.name) == ("property_company", "凯旋物业")
    assert suggestion.reason == "名都凯旋城有物业服务企业，户内下水道堵塞由物业负责"


def test_a_property_company_without_a_recorded_name_is_named_after_the_estate():
    unnamed = {**MINGDU, "facts": {"has_property_company": True}}

    suggestion = reference(case_of("street_lights", "路灯照明"), chain_in(unnamed))

    assert (suggestion.kind, suggestion.name) == ("property_company", "名都凯旋城物业")
    assert "小区公共区域" in suggestion.reason


def test_a_street_light_on_the_street_is_the_communitys_even_next_to_an_estate_with_a_property_company():
    suggestion = reference(case_of("street_lights", "路灯照明", place="street"), chain_in(MINGDU))

    assert (suggestion.kind, suggestion.name) == ("community", "嘉园社区")


def test_a_neighbour_dispute_goes_to_the_grid_leader_for_mediation():
    suggestion = reference(case_of("neighbour_dispute", "邻里纠纷"), chain_in(JINCHANG))

    assert suggestion == Suggestion("person", "刘红", "邻里之间的问题先调解：由第一网格网格长调解",
                                    party_id="person_liuhong", mediation=True)


def test_a_leak_into_the_flat_below_is_mediated_like_a_dispute():
    suggestion = reference(case_of("leaks", "渗水漏水", place="home"), chain_in(MINGDU))

    assert (suggestion.kind, suggestion.name, suggestion.mediation) == ("person", "刘红", True)


def test_a_dispute_in_a_grid_without_a_grid_leader_is_mediated_by_the_community():
    leaderless = {**GRID_1, "leaders": []}

    suggestion = reference(case_of("noise", "噪音扰民"), chain_in(JINCHANG, grid=leaderless))

    assert (suggestion.kind, suggestion.name, suggestion.mediation) == ("community", "嘉园社区", True)
    assert "暂无网格长" in suggestion.reason


def test_an_illegal_building_goes_to_urban_management():
    suggestion = reference(case_of("illegal_building", "违章搭建"), chain_in(JINCHANG))

    assert (suggestion.kind, suggestion.name) == ("department", "城管执法")
    assert suggestion.reason.startswith("违章搭建属城管执法职责")


def test_a_blocked_fire_lane_goes_to_the_fire_service():
    suggestion = reference(case_of("fire_lane", "消防通道"), chain_in(MINGDU))

    assert (suggestion.kind, suggestion.name) == ("department", "应急管理（消防）")


def test_elderly_services_go_to_the_volunteer_team():
    suggestion = reference(case_of("elderly_services", "养老服务"), chain_in(JINCHANG))

    assert (suggestion.kind, suggestion.name) == ("support_team", "党员志愿服务队")


def test_a_problem_no_rule_matches_is_analysed_by_the_community():
    suggestion = reference(case_of("other", "其他"), chain_in(MINGDU))

    assert (suggestion.kind, suggestion.name, suggestion.party_id) == ("community", "嘉园社区", "unit_jiayuan")
    assert suggestion.reason == "未匹配专门责任方，由社区分析研判后交办"


def test_a_suggestion_travels_as_a_plain_dict():
    suggestion = reference(case_of("illegal_building", "违章搭建"), chain_in(JINCHANG))

    assert suggestion.as_dict() == {"kind": "department", "name": "城管执法", "party_id": None, "mediation": False,
                                    "reason": "违章搭建属城管执法职责，由社区分类交办", "co_handlers": []}


def test_a_rooftop_building_in_an_estate_with_a_property_company_goes_first_to_the_company_and_owners():
    suggestion = reference(case_of("illegal_building", "违章搭建", place="rooftop"), chain_in(MINGDU))

    assert (suggestion.kind, suggestion.name) == ("property_company", "凯旋物业")
    assert suggestion.co_handlers == ({"kind": "owners_committee", "name": "名都凯旋城业主委员会", "party_id": None},)
    assert "业主委员会" in suggestion.reason and "劝阻无效再报城管执法" in suggestion.reason


def test_rooftop_plots_described_as_on_the_roof_go_to_the_company_named_in_the_estates_facts():
    plots = {**case_of("shared_space", "占用公共空间"), "description": "5楼住户在楼顶种菜，占用公共空间"}
    committee = {**MINGDU, "facts": {**MINGDU["facts"], "owners_committee": "名都凯旋城第一届业委会"}}

    suggestion = reference(plots, chain_in(committee))

    assert (suggestion.kind, suggestion.name) == ("property_company", "凯旋物业")
    assert suggestion.as_dict()["co_handlers"][0]["name"] == "名都凯旋城第一届业委会"


def test_a_rooftop_building_in_an_estate_without_a_property_company_goes_to_urban_management():
    suggestion = reference(case_of("illegal_building", "违章搭建", place="rooftop"), chain_in(JINCHANG))

    assert (suggestion.kind, suggestion.name, suggestion.co_handlers) == ("department", "城管执法", ())


def test_illegal_building_on_the_ground_stays_with_urban_management_even_with_a_property_company():
    suggestion = reference(case_of("illegal_building", "违章搭建"), chain_in(MINGDU))

    assert (suggestion.kind, suggestion.name) == ("department", "城管执法")

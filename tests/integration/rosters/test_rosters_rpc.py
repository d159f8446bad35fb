"""Rosters through its real RPC entrypoints, on the real broker and database."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place
from shared.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from tests.conftest import service_config
from tests.events import EventTap

JINCHANG_2_1 = "嘉园社区/金昌花园/2栋/1单元"


def test_chain_of_a_jinchang_unit_goes_up_to_the_community_with_its_leaders(rosters, demo):
    chain = rosters.responsible_chain(unit_id=find_place(demo, JINCHANG_2_1))

    assert [level["level"] for level in chain] == ["unit", "building", "estate", "zone", "grid", "community"]
    assert [level["name"] for level in chain][:3] == ["1单元", "2栋", "金昌花园"]
    assert chain[0]["leaders"] == [{"person_id": chain[0]["leaders"][0]["person_id"], "name": "康早新",
                                    "role": "unit_leader", "phone": "13807310004"}]
    assert chain[2]["facts"] == {"has_property_company": False, "property_company": None, "property_contact": None}
    assert [p["name"] for p in chain[5]["leaders"]] == ["曾玉琴"]


def test_a_unit_leader_sees_phone_numbers_masked(rpc_as, demo):
    unit_id = find_place(demo, JINCHANG_2_1)
    rosters = rpc_as(who="苏瑞安", role="unit_leader", jurisdiction=[find_place(demo, "嘉园社区")]).rosters

    chain = rosters.responsible_chain(unit_id=unit_id)

    assert chain[0]["leaders"][0]["phone"] == "138****0004"


def test_an_actor_from_another_community_may_not_act_here(rpc_as, demo):
    rosters = rpc_as(who="何涛", role="zone_leader", jurisdiction=[find_place(demo, "联福社区")]).rosters

    with pytest.raises(Forbidden):
        rosters.create_unit(parent_id=find_place(demo, "嘉园社区/金昌花园"), name="4栋", level="building")


def test_a_call_with_a_forged_actor_is_refused(stack, rosters_service):
    forged = {"linli_actor": "eyJ3aG8iOiAiXHU2NzRlIn0.forged-signature"}

    with ClusterRpcProxy(service_config(stack), context_data=forged) as rpc, pytest.raises(Forbidden):
        rpc.rosters.get_unit(unit_id="unit_x")


def test_moving_an_estate_rebases_every_descendant(rosters, demo):
    estate = find_place(demo, "嘉园社区/名都凯旋城")
    grid = find_place(demo, "嘉园社区/第一网格")

    rosters.move_unit(unit_id=estate, new_parent_id=grid)

    unit = rosters.get_unit(unit_id=find_place(demo, "嘉园社区/名都凯旋城/1栋/1单元"))
    assert unit["path"] == ["雨花区", "左家塘街道", "嘉园社区", "第一网格", "名都凯旋城", "1栋", "1单元"]
    assert unit["ancestors"][-3] == grid and estate in unit["ancestors"]
    assert [lv["level"] for lv in rosters.responsible_chain(unit_id=unit["unit_id"])][-2:] == ["grid", "community"]


def test_renaming_a_building_renames_it_in_its_units_paths(rosters, demo):
    rosters.rename_unit(unit_id=find_place(demo, "嘉园社区/金昌花园/2栋"), name="二栋")

    assert rosters.get_unit(unit_id=find_place(demo, JINCHANG_2_1))["path"][-2:] == ["二栋", "1单元"]


def test_appointment_lifecycle_shows_in_the_chain_and_emits_events(stack, rosters, demo):
    unit_id = find_place(demo, "嘉园社区/金昌花园/1栋/2单元")
    tap = EventTap(stack.amqp_uri, "rosters", ["appointment_started", "appointment_ended"])
    person = rosters.register_person(name="罗小兰", phone="13807319999", skills=["理发"])
    appointment = rosters.apply(person_id=person["person_id"], unit_id=unit_id, role="unit_leader")
    rosters.screen(appointment_id=appointment["appointment_id"], passed=True)

    rosters.appoint(appointment_id=appointment["appointment_id"], certificate_no="JY-0099",
                    term_start="2024-01-01", term_end="2026-12-31")
    assert [p["name"] for p in rosters.responsible_chain(unit_id=unit_id)[0]["leaders"]] == ["罗小兰"]
    ended = rosters.end_appointment(appointment_id=appointment["appointment_id"], reason="moved_away")

    assert ended["status"] == "ended" and ended["ended_reason"] == "moved_away"
    assert [h["status"] for h in ended["history"]] == ["applicant", "screened", "appointed", "ended"]
    assert rosters.responsible_chain(unit_id=unit_id)[0]["leaders"] == []
    events = tap.wait_for(2)
    assert [e["type"] for e in events] == ["appointment_started", "appointment_ended"]
    assert events[1]["payload"]["reason"] == "moved_away" and events[0]["actor"]["role"] == "admin"
    assert len({e["event_id"] for e in events}) == 2


def test_creating_a_unit_emits_unit_created(stack, rosters, demo):
    tap = EventTap(stack.amqp_uri, "rosters", ["unit_created"])

    unit = rosters.create_unit(parent_id=find_place(demo, "嘉园社区/金昌花园"), name="4栋", level="building")

    [event] = tap.wait_for(1)
    assert event["payload"]["unit_id"] == unit["unit_id"] and event["payload"]["community_id"]
    assert set(event) == {"event_id", "type", "occurred_at", "actor", "version", "payload"}


def test_coverage_gaps_list_units_without_a_unit_leader(rosters, demo):
    gaps = rosters.coverage_gaps(node_id=find_place(demo, "嘉园社区/金昌花园"), role="unit_leader")

    assert sorted("/".join(g["path"][-2:]) for g in gaps) == ["1栋/2单元", "2栋/2单元", "3栋/2单元"]


def test_duty_rota_answers_who_is_on_duty_on_a_date(rosters, demo):
    community = find_place(demo, "嘉园社区")
    [secretary] = rosters.search_people(name="曾玉琴")
    rosters.set_duty(community_id=community, entries=[{"date": "2026-11-25", "person_id": secretary["person_id"]}])

    duty = rosters.on_duty(community_id=community, date="2026-11-25")

    assert duty["person"]["name"] == "曾玉琴"
    assert rosters.on_duty(community_id=community, date="2026-11-26") is None


@pytest.mark.parametrize("query, expected", [
    ({"skill": "水电"}, ["康早新"]),
    ({"name": "周"}, ["周建强"]),
    ({"role": "zone_leader"}, ["何涛", "陈平"]),
    ({"party_member": True, "role": "secretary"}, ["曾玉琴"]),
])
def test_people_search_by_name_skill_and_role(rosters, demo, query, expected):
    found = rosters.search_people(**query)

    assert sorted(p["name"] for p in found) == sorted(expected)


def test_screening_failure_ends_the_application(rosters, demo):
    person = rosters.register_person(name="张三", phone="13807318888")
    appointment = rosters.apply(person_id=person["person_id"], unit_id=find_place(demo, JINCHANG_2_1),
                                role="unit_leader")

    rejected = rosters.screen(appointment_id=appointment["appointment_id"], passed=False, note="不在本小区居住")

    assert rejected["status"] == "ended" and rejected["ended_reason"] == "screening_failed"
    with pytest.raises(InvalidTransition) as exc:
        rosters.appoint(appointment_id=appointment["appointment_id"], certificate_no="X",
                        term_start="2024-01-01", term_end="2025-01-01")
    assert exc.value.details[0] == {"field": "status", "reason": "is ended; allowed: nothing",
                                    "current_state": "ended",
                                    "reason_zh": "状态（status）为已结束（ended），只允许：无"}


def test_unknown_unit_is_not_found(rosters, demo):
    with pytest.raises(NotFound) as exc:
        rosters.responsible_chain(unit_id="unit_missing")

    assert exc.value.details == [{"field": "unit_id", "reason": "not found", "reason_zh": "单元（unit_id）不存在"}]


def test_validation_error_survives_the_wire_as_a_local_class(rosters, demo):
    with pytest.raises(ValidationFailed) as exc:
        rosters.register_person(name="", phone="123")

    assert exc.value.fields == {"name": "Length must be between 1 and 100.",
                                "phone": "must be an 11-digit mainland mobile number"}

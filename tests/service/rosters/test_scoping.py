"""Reads and registrations kept to the caller's jurisdiction: a caller who is not root finds
only the people homed or ever appointed inside it, registers people only there, and learns
nothing of a person of another community by registering their phone."""

import pytest

from services.rosters.demo import find_place
from shared.actor import Actor
from shared.errors import Conflict, Forbidden, ValidationFailed
from tests.service.rosters.conftest import kept
from tests.service.rosters.making import actor_at, take

JIAYUAN, LIANFU = "嘉园社区", "联福社区"
LIANFU_PEOPLE = {"何涛", "李梅", "赵强"}
JIAYUAN_PEOPLE = {"曾玉琴", "刘红", "陈平", "康早新", "苏瑞安", "周建强", "王立"}
WANG = {"name": "王秀英", "phone": "13807318888", "occupation": "退休教师"}


def names(people) -> set[str]:
    return {p["name"] for p in people}


def test_a_unit_leader_of_one_community_lists_only_that_communitys_people(service_as, street):
    people = service_as(actor_at(street, "赵强", "building_leader", LIANFU)).search_people()

    assert names(people) == LIANFU_PEOPLE


def test_a_secretary_sees_unmasked_phones_only_of_their_own_communitys_people(service_as, street):
    people = service_as(actor_at(street, "曾玉琴", "secretary", JIAYUAN)).search_people(limit=200)

    assert names(people) == JIAYUAN_PEOPLE
    assert "13907350001" not in str(people)


def test_a_grid_leader_sees_the_people_of_their_grid_but_not_the_secretary_above_it(service_as, street):
    people = service_as(actor_at(street, "刘红", "grid_leader", "第一网格")).search_people()

    assert names(people) == JIAYUAN_PEOPLE - {"曾玉琴"}


def test_a_caller_who_is_not_root_and_has_no_jurisdiction_sees_nobody(service_as, street):
    assert service_as(Actor("某人", "secretary")).search_people() == []


def test_root_callers_see_everybody(service_as, street):
    assert names(service_as().search_people(limit=200)) == JIAYUAN_PEOPLE | LIANFU_PEOPLE


def test_a_person_registered_at_a_home_is_seen_there_and_nowhere_else(service_as, street):
    secretary = actor_at(street, "曾玉琴", "secretary", JIAYUAN)
    home = find_place(street, "嘉园社区/名都凯旋城/2栋/1单元")

    service_as(secretary).register_person(**WANG, home_unit_id=home)

    assert names(service_as(secretary).search_people(name="王秀英")) == {"王秀英"}
    assert service_as(actor_at(street, "何涛", "secretary", LIANFU)).search_people(name="王秀英") == []


def test_a_leader_whose_appointment_ended_is_still_seen_where_they_served(service_as, store, street):
    [kang] = service_as().search_people(name="康早新")
    [appointment] = store.appointments.current({"person_id": kang["person_id"]})
    take(store, appointment["_id"], "end")

    people = service_as(actor_at(street, "苏瑞安", "unit_leader", JIAYUAN)).search_people(name="康早新")

    assert names(people) == {"康早新"}


def test_registering_a_home_outside_the_callers_jurisdiction_is_forbidden_naming_nothing_of_it(
        service_as, street, db):
    home = find_place(street, "嘉园社区/金昌花园/1栋/1单元")
    before = kept(db)

    with pytest.raises(Forbidden) as refused:
        service_as(actor_at(street, "何涛", "secretary", LIANFU)).register_person(**WANG, home_unit_id=home)

    assert [d["field"] for d in refused.value.details] == ["jurisdiction"]
    assert home not in str(refused.value.to_dict())
    assert kept(db) == before


def test_a_caller_who_is_not_root_must_say_where_the_person_lives(service_as, street, db):
    before = kept(db)

    with pytest.raises(ValidationFailed) as refused:
        service_as(actor_at(street, "曾玉琴", "secretary", JIAYUAN)).register_person(**WANG)

    assert list(refused.value.fields) == ["home_unit_id"]
    assert kept(db) == before


def test_registering_the_phone_of_another_communitys_person_is_a_conflict_that_names_nothing_of_them(
        service_as, street, db):
    lianfu = actor_at(street, "何涛", "secretary", LIANFU)
    home = find_place(street, "联福社区/华尔星城/二期8栋/1单元")
    before = kept(db)

    with pytest.raises(Conflict) as taken:
        service_as(lianfu).register_person(name="康早新", phone="13807310004", home_unit_id=home)

    assert taken.value.details == [{**taken.value.details[0], "field": "phone", "reason": "already registered"}]
    assert "person_" not in str(taken.value.to_dict()) and "differing" not in str(taken.value.to_dict())
    assert kept(db) == before


def test_registering_a_known_phone_inside_the_jurisdiction_with_the_same_details_returns_the_person(
        service_as, street):
    secretary = actor_at(street, "曾玉琴", "secretary", JIAYUAN)
    home = find_place(street, "嘉园社区/名都凯旋城/2栋/1单元")
    first = service_as(secretary).register_person(**WANG, home_unit_id=home)

    again = service_as(secretary).register_person(**WANG, home_unit_id=home)

    assert again["person_id"] == first["person_id"]


def test_registering_a_known_phone_inside_the_jurisdiction_with_other_details_names_what_differs(
        service_as, street):
    secretary = actor_at(street, "曾玉琴", "secretary", JIAYUAN)
    home = find_place(street, "嘉园社区/名都凯旋城/2栋/1单元")
    service_as(secretary).register_person(**WANG, home_unit_id=home)

    with pytest.raises(Conflict) as taken:
        service_as(secretary).register_person(**{**WANG, "occupation": "医生"}, home_unit_id=home)

    assert "occupation" in taken.value.details[0]["reason"]


def test_a_person_of_another_community_is_not_put_on_the_duty_rota_and_nothing_changes(service_as, street, db):
    ops = service_as()
    he_tao = ops.search_people(name="何涛")[0]["person_id"]
    before = kept(db)

    with pytest.raises(ValidationFailed) as refused:
        ops.set_duty(community_id=find_place(street, JIAYUAN), entries=[{"date": "2026-03-03", "person_id": he_tao}])

    assert refused.value.fields == {"entries.person_id": f"unknown people: {he_tao}"}
    assert kept(db) == before

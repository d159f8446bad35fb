"""Appointment steps, role checks, masking of numbers and the roster's read models."""

import pytest

from services.rosters.appointments import check_role, leader_entry, next_status
from services.rosters.exceptions import InvalidTransition
from services.rosters.queries import coverage_gaps, person_view, responsible_chain
from shared.errors import ValidationFailed
from shared.privacy import mask_id_number, mask_phone, sees_numbers

JIAYUAN = {"_id": "unit_jiayuan", "name": "嘉园社区", "level": "community", "ancestors": ["unit_yuhua", "unit_zjt"],
           "config": {"levels": ["grid", "zone", "estate", "building", "unit"],
                      "roles": {"secretary": ["community"], "group_leader": ["estate"], "unit_leader": ["unit"]}},
           "leaders": [{"appointment_id": "appt_zeng", "person_id": "person_zeng", "name": "曾玉琴",
                        "role": "secretary", "phone": "13807310001"}]}
STREET = {"_id": "unit_zjt", "name": "左家塘街道", "level": "street", "ancestors": ["unit_yuhua"]}
JINCHANG = {"_id": "unit_jinchang", "name": "金昌花园", "level": "estate", "ancestors": ["unit_yuhua", "unit_zjt",
                                                                                         "unit_jiayuan"],
            "facts": {"has_property_company": False}}
BUILDING_2 = {"_id": "unit_jc2", "name": "2栋", "level": "building",
              "ancestors": ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_jinchang"]}
UNIT_2_1 = {"_id": "unit_jc2_1", "name": "1单元", "level": "unit", "path": ["嘉园社区", "金昌花园", "2栋", "1单元"],
            "ancestors": ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_jinchang", "unit_jc2"],
            "leaders": [{"appointment_id": "appt_kang", "person_id": "person_kang", "name": "康早新",
                         "role": "unit_leader", "phone": "13807310004"}]}
UNIT_2_2 = {"_id": "unit_jc2_2", "name": "2单元", "level": "unit", "path": ["嘉园社区", "金昌花园", "2栋", "2单元"],
            "ancestors": UNIT_2_1["ancestors"], "leaders": []}
ANCESTORS = {u["_id"]: u for u in (STREET, JIAYUAN, JINCHANG, BUILDING_2)}


@pytest.mark.parametrize(("current", "action", "expected"), [
    ("applicant", "screen", "screened"),
    ("applicant", "reject", "ended"),
    ("applicant", "end", "ended"),
    ("screened", "appoint", "appointed"),
    ("screened", "end", "ended"),
    ("appointed", "end", "ended"),
])
def test_an_allowed_step_gives_the_next_status(current, action, expected):
    assert next_status(current, action) == expected


@pytest.mark.parametrize(("current", "action"), [
    ("applicant", "appoint"),
    ("screened", "screen"),
    ("screened", "reject"),
    ("appointed", "appoint"),
    ("appointed", "screen"),
    ("ended", "end"),
    ("ended", "appoint"),
])
def test_a_step_the_current_status_does_not_allow_is_an_invalid_transition(current, action):
    with pytest.raises(InvalidTransition) as raised:
        next_status(current, action)

    assert raised.value.details[0]["field"] == "status"
    assert raised.value.details[0]["reason"].startswith(f"is {current}")


def test_an_ended_appointment_allows_nothing():
    with pytest.raises(InvalidTransition) as raised:
        next_status("ended", "end")

    assert raised.value.details[0]["reason"] == "is ended; allowed: nothing"


def test_a_configured_role_on_its_level_passes():
    check_role("unit_leader", UNIT_2_1, JIAYUAN)


def test_a_role_the_community_does_not_have_is_rejected():
    with pytest.raises(ValidationFailed) as raised:
        check_role("grid_leader", UNIT_2_1, JIAYUAN)

    assert raised.value.fields == {"role": "not a role of community 嘉园社区: grid_leader"}


def test_a_role_on_the_wrong_level_is_rejected():
    with pytest.raises(ValidationFailed) as raised:
        check_role("unit_leader", JINCHANG, JIAYUAN)

    assert raised.value.fields == {"role": "a unit_leader is appointed to a unit, not a estate"}


def test_a_leader_entry_keeps_who_holds_which_appointment():
    entry = leader_entry({"_id": "appt_kang", "role": "unit_leader"},
                         {"_id": "person_kang", "name": "康早新", "phone": "13807310004"})

    assert entry == {"appointment_id": "appt_kang", "person_id": "person_kang", "name": "康早新",
                     "role": "unit_leader", "phone": "13807310004"}


def test_a_mobile_number_shows_only_its_first_three_and_last_four_digits():
    assert mask_phone("13807310004") == "138****0004"


@pytest.mark.parametrize(("phone", "masked"), [
    (None, None), ("", ""), ("1234567", "*******"), ("12345678", "123*5678"),
])
def test_short_or_missing_phone_numbers_are_masked_safely(phone, masked):
    assert mask_phone(phone) == masked


def test_an_id_number_shows_only_its_first_four_and_last_four_characters():
    assert mask_id_number("43010219800101123X") == "4301**********123X"


@pytest.mark.parametrize(("number", "masked"), [(None, None), ("", ""), ("12345678", "********")])
def test_short_or_missing_id_numbers_are_masked_safely(number, masked):
    assert mask_id_number(number) == masked


def test_only_unmask_roles_see_numbers():
    assert sees_numbers("secretary", ["secretary", "grid_worker"])
    assert not sees_numbers("unit_leader", ["secretary", "grid_worker"])


def test_one_caller_of_a_role_may_be_named_to_see_numbers():
    allowed = ["secretary", "system:notifications"]

    assert sees_numbers("system", allowed, "notifications")
    assert not sees_numbers("system", allowed, "district-portal") and not sees_numbers("system", allowed)


def test_the_chain_of_a_unit_goes_up_to_its_community_and_stops_there():
    chain = responsible_chain(UNIT_2_1, ANCESTORS, unmasked=True)

    assert [(level["name"], level["level"]) for level in chain] == [
        ("1单元", "unit"), ("2栋", "building"), ("金昌花园", "estate"), ("嘉园社区", "community")]
    assert chain[0]["leaders"] == [{"person_id": "person_kang", "name": "康早新", "role": "unit_leader",
                                    "phone": "13807310004"}]
    assert chain[2]["facts"] == {"has_property_company": False}
    assert chain[1]["facts"] == {} and chain[1]["leaders"] == []
    assert [p["name"] for p in chain[3]["leaders"]] == ["曾玉琴"]


def test_a_masked_chain_hides_the_middle_of_phone_numbers():
    chain = responsible_chain(UNIT_2_1, ANCESTORS, unmasked=False)

    assert chain[0]["leaders"][0]["phone"] == "138****0004"
    assert chain[3]["leaders"][0]["phone"] == "138****0001"


def test_the_chain_of_a_community_is_the_community_alone():
    chain = responsible_chain(JIAYUAN, ANCESTORS, unmasked=True)

    assert [level["name"] for level in chain] == ["嘉园社区"]


def test_the_chain_above_communities_goes_up_to_the_root():
    district = {"_id": "unit_yuhua", "name": "雨花区", "level": "district", "ancestors": []}

    chain = responsible_chain(STREET, {"unit_yuhua": district}, unmasked=True)

    assert [level["name"] for level in chain] == ["左家塘街道", "雨花区"]


def test_coverage_gaps_are_units_at_the_roles_levels_without_anyone_in_that_role():
    retired = {**UNIT_2_2, "_id": "unit_jc3_2", "retired": True}

    gaps = coverage_gaps([UNIT_2_1, UNIT_2_2, retired, BUILDING_2, JINCHANG], "unit_leader", ["unit"])

    assert gaps == [{"unit_id": "unit_jc2_2", "name": "2单元", "level": "unit",
                     "path": ["嘉园社区", "金昌花园", "2栋", "2单元"]}]


def test_a_unit_whose_leader_holds_another_role_is_a_gap():
    gaps = coverage_gaps([UNIT_2_1], "group_leader", ["unit"])

    assert [g["unit_id"] for g in gaps] == ["unit_jc2_1"]
    assert coverage_gaps([BUILDING_2], "unit_leader", ["unit"]) == []


def test_a_person_view_masks_numbers_and_drops_internal_fields():
    person = {"_id": "person_kang", "name": "康早新", "phone": "13807310004", "id_number": "43010219800101123X",
              "skills": ["水电", "疏通下水道"], "version": 3}

    view = person_view(person, unmasked=False)

    assert view == {"person_id": "person_kang", "name": "康早新", "phone": "138****0004",
                    "id_number": "4301**********123X", "skills": ["水电", "疏通下水道"]}
    assert person_view(person, unmasked=True)["phone"] == "13807310004"

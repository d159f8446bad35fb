"""A caller repeating a rosters command under its `request_id` gets the first answer: after a
lost reply (answered from the request log) and after the instance that made the change died
before logging its answer (the change itself is recognised)."""

import pytest

from services.rosters.demo import find_place
from shared.errors import Conflict
from tests.events import EventTap

JINCHANG = "嘉园社区/金昌花园"


def forget_answers(rosters_db) -> None:
    """What an instance dying between its change and logging the answer leaves behind."""
    rosters_db["requests"].delete_many({})


def new_applicant(rosters, demo) -> str:
    person = rosters.register_person(name="罗小兰", phone="13807319999")
    return rosters.apply(person_id=person["person_id"], unit_id=find_place(demo, f"{JINCHANG}/3栋/2单元"),
                         role="unit_leader")["appointment_id"]


def test_a_unit_created_twice_under_one_request_id_is_one_unit_with_one_event(stack, rosters, demo, rosters_db):
    tap = EventTap(stack.amqp_uri, "rosters", ["unit_created"])
    request = {"parent_id": find_place(demo, JINCHANG), "name": "4栋", "level": "building", "request_id": "b-4"}

    first = rosters.create_unit(**request)
    forget_answers(rosters_db)
    again = rosters.create_unit(**request)

    assert again["unit_id"] == first["unit_id"]
    assert rosters_db["units"].count_documents({"name": "4栋"}) == 1
    assert [e["payload"]["name"] for e in tap.wait_for(2, timeout=3)] == ["4栋"]


def test_a_screening_repeated_after_its_answer_was_lost_gets_the_screened_appointment(rosters, demo, rosters_db):
    appointment_id = new_applicant(rosters, demo)
    first = rosters.screen(appointment_id=appointment_id, passed=True, note="走访合格", request_id="s-1")
    forget_answers(rosters_db)

    again = rosters.screen(appointment_id=appointment_id, passed=True, note="走访合格", request_id="s-1")

    assert first["status"] == again["status"] == "screened"
    history = rosters_db["appointments"].find_one({"_id": appointment_id})["history"]
    assert [step["status"] for step in history] == ["applicant", "screened"]


def test_an_appointment_ended_twice_under_one_request_id_ends_once_with_one_event(stack, rosters, demo,
                                                                                  rosters_db):
    appointment_id = new_applicant(rosters, demo)
    rosters.screen(appointment_id=appointment_id, passed=True)
    rosters.appoint(appointment_id=appointment_id, certificate_no="JY-9999", term_start="2026-01-01",
                    term_end="2028-12-31")
    tap = EventTap(stack.amqp_uri, "rosters", ["appointment_ended"])

    first = rosters.end_appointment(appointment_id=appointment_id, reason="moved_away", request_id="e-1")
    forget_answers(rosters_db)
    again = rosters.end_appointment(appointment_id=appointment_id, reason="moved_away", request_id="e-1")

    assert first["status"] == again["status"] == "ended"
    assert len(tap.wait_for(2, timeout=3)) == 1


def test_an_application_sent_twice_under_one_request_id_is_one_appointment(rosters, demo, rosters_db):
    person = rosters.register_person(name="罗小兰", phone="13807319999", request_id="p-1")
    request = {"person_id": person["person_id"], "unit_id": find_place(demo, f"{JINCHANG}/3栋/2单元"),
               "role": "unit_leader", "request_id": "a-1"}

    first = rosters.apply(**request)
    forget_answers(rosters_db)
    again = rosters.apply(**request)

    assert again["appointment_id"] == first["appointment_id"]
    assert rosters_db["appointments"].count_documents({"person_id": person["person_id"]}) == 1


def test_estate_facts_sent_with_a_request_id_keep_it_out_of_the_facts(rosters, demo):
    estate = find_place(demo, JINCHANG)

    unit = rosters.set_estate_facts(unit_id=estate, has_property_company=False, request_id="f-1")

    assert "request_id" not in unit["facts"]


def test_a_request_id_reused_for_a_different_unit_is_a_conflict(rosters, demo):
    rosters.create_unit(parent_id=find_place(demo, JINCHANG), name="4栋", level="building", request_id="b-4")

    with pytest.raises(Conflict) as error:
        rosters.create_unit(parent_id=find_place(demo, JINCHANG), name="5栋", level="building", request_id="b-4")

    assert error.value.details[0]["field"] == "request_id"

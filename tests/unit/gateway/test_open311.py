"""Cases as Open311 GeoReport v2: categories as services, cases as service requests, a POST
/requests form as the arguments of `report`, and GeoReport's XML and error bodies."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from services.cases import schemas as case_schemas
from services.cases.labels import catalogue
from services.cases.taxonomy import Taxonomy
from services.gateway import open311
from shared.errors import Conflict, NotFound, ValidationFailed

LABELS = catalogue(Taxonomy.from_config(
    {"drains": "下水道堵塞", "leaks": "渗水漏水", "neighbour_dispute": "邻里纠纷", "other": "其他"},
    {"设施维修": ["drains", "leaks"], "物业与邻里": ["neighbour_dispute"]}))
JINCHANG_2_1 = "unit_0192f1c2a3b4c5d6e7f8a9"
PATH = ["雨花区", "左家塘街道", "嘉园社区", "第一网格", "红花坡片区", "金昌花园", "2栋", "1单元"]
FORM = {"service_code": "drains", "description": "2栋1单元门口下水道堵塞，污水漫到路面", "address_id": JINCHANG_2_1,
        "first_name": "阿姨", "last_name": "王", "phone": "13807310001", "api_key": "lk_test"}


def jinchang_case(**fields) -> dict:
    """A drains case at 金昌花园 2栋1单元 as `get_case` gives it, being handled by the community."""
    return {
        "case_id": "case_0192f1c2a3b4", "state": "in_progress", "category": "drains", "category_label": "下水道堵塞",
        "urgency": "normal", "channel": "visit", "description": "2栋1单元门口下水道堵塞", "unit_id": JINCHANG_2_1,
        "unit_path": PATH, "reporter": {"name": "王阿姨", "phone": "138****0001"},
        "reported_at": "2026-03-02T01:00:00.000+00:00", "updated_at": "2026-03-02T03:30:00.000+00:00",
        "deadlines": {"response": "2026-03-03T01:00:00.000+00:00", "resolution": "2026-03-09T01:00:00.000+00:00"},
        "assignee": {"kind": "community", "name": "嘉园社区", "party_id": None},
        "photos": ["https://img.example.cn/jc2-1.jpg", "https://img.example.cn/jc2-2.jpg"],
        "timeline": [
            {"seq": 1, "action": "report", "to": "reported", "detail": {"description": "2栋1单元门口下水道堵塞"}},
            {"seq": 2, "action": "dispatch", "to": "dispatched", "detail": {"note": "请康师傅上门疏通"}},
            {"seq": 3, "action": "accept", "to": "accepted", "detail": {"note": None}},
        ],
        **fields,
    }


# status

@pytest.mark.parametrize("state", ["closed", "duplicate", "sent_back"])
def test_an_ended_case_is_closed(state):
    assert open311.status_of(state) == "closed"


@pytest.mark.parametrize("state", ["reported", "dispatched", "in_progress", "resolved", "reopened", "suspended"])
def test_a_case_still_in_the_loop_is_open(state):
    assert open311.status_of(state) == "open"


# services

def test_each_category_is_a_realtime_service_named_in_chinese_with_its_group():
    services = open311.services_from_labels(LABELS)

    assert [s["service_code"] for s in services] == ["drains", "leaks", "neighbour_dispute", "other"]
    assert services[0] == {"service_code": "drains", "service_name": "下水道堵塞",
                           "description": "设施维修：下水道堵塞", "metadata": False, "type": "realtime",
                           "keywords": "下水道堵塞,drains,设施维修", "group": "设施维修"}


def test_a_category_in_no_group_is_a_service_without_one():
    other = open311.services_from_labels(LABELS)[-1]

    assert (other["group"], other["description"], other["keywords"]) == (None, "其他", "其他,other")


def test_a_known_service_asks_for_no_attributes():
    assert open311.service_definition("leaks", LABELS) == {"service_code": "leaks", "attributes": []}


def test_an_unknown_service_is_not_found_naming_service_code():
    with pytest.raises(NotFound) as refused:
        open311.service_definition("potholes", LABELS)

    assert refused.value.details[0]["field"] == "service_code"
    assert refused.value.details[0]["reason"] == "no such service"


# service requests

def test_a_case_is_a_service_request_with_its_place_deadline_assignee_and_latest_note():
    request = open311.request_from_case(jinchang_case())

    assert request == {
        "service_request_id": "case_0192f1c2a3b4", "status": "open", "status_notes": "请康师傅上门疏通",
        "service_name": "下水道堵塞", "service_code": "drains", "description": "2栋1单元门口下水道堵塞",
        "agency_responsible": "嘉园社区", "service_notice": None,
        "requested_datetime": "2026-03-02T01:00:00.000+00:00", "updated_datetime": "2026-03-02T03:30:00.000+00:00",
        "expected_datetime": "2026-03-09T01:00:00.000+00:00",
        "address": "雨花区左家塘街道嘉园社区第一网格红花坡片区金昌花园2栋1单元", "address_id": JINCHANG_2_1,
        "zipcode": None, "lat": None, "long": None, "media_url": "https://img.example.cn/jc2-1.jpg",
    }


def test_a_closed_case_notes_its_result():
    timeline = [*jinchang_case()["timeline"], {"seq": 4, "action": "resolve", "detail": {"result": "已疏通"}},
                {"seq": 5, "action": "evaluate", "detail": {"satisfied": True, "reason": None, "comment": None}}]

    request = open311.request_from_case(jinchang_case(state="closed", result="已疏通", timeline=timeline))

    assert (request["status"], request["status_notes"]) == ("closed", "已疏通")


def test_a_case_reopened_after_its_result_notes_why_rather_than_the_old_result():
    timeline = [*jinchang_case()["timeline"], {"seq": 4, "action": "resolve", "detail": {"result": "已疏通"}},
                {"seq": 5, "action": "evaluate", "detail": {"satisfied": False, "reason": "第二天又堵了"}}]

    request = open311.request_from_case(jinchang_case(state="reopened", result="已疏通", timeline=timeline))

    assert request["status_notes"] == "第二天又堵了"


def test_a_search_item_without_description_assignee_timeline_or_update_time_leaves_them_none():
    item = {"case_id": "case_0192f1c2a3b4", "state": "reported", "category": "leaks", "unit_id": JINCHANG_2_1,
            "reported_at": "2026-03-02T01:00:00.000+00:00", "deadlines": {}}

    request = open311.request_from_case(item, LABELS)

    assert request["service_name"] == "渗水漏水"
    assert request["updated_datetime"] == request["requested_datetime"] == "2026-03-02T01:00:00.000+00:00"
    assert [request[k] for k in ("description", "agency_responsible", "status_notes", "expected_datetime",
                                 "address", "media_url")] == [None] * 6


def test_a_case_with_nothing_but_its_id_still_maps():
    request = open311.request_from_case({"case_id": "case_1"})

    assert request["service_request_id"] == "case_1"
    assert request["status"] == "open"
    assert request["service_name"] is None and request["requested_datetime"] is None


def test_datetimes_given_as_objects_are_written_in_iso_8601():
    reported = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    request = open311.request_from_case(jinchang_case(reported_at=reported, updated_at=None))

    assert request["requested_datetime"] == request["updated_datetime"] == "2026-03-02T01:00:00+00:00"


# reports

def test_a_form_is_an_online_report_with_a_chinese_name_family_name_first():
    report = open311.report_from_form(FORM)

    assert report == {"channel": "online", "category": "drains", "unit_id": JINCHANG_2_1,
                      "description": "2栋1单元门口下水道堵塞，污水漫到路面",
                      "reporter": {"name": "王阿姨", "phone": "13807310001"}, "urgency": "normal"}


def test_the_report_from_a_form_is_accepted_by_the_cases_report_schema():
    form = {**FORM, "media_url": "https://img.example.cn/jc2-1.jpg", "email": "wang@example.cn",
            "lat": "28.18", "long": "113.01", "attribute[floor]": "1"}

    loaded = case_schemas.Report().load_or_raise(open311.report_from_form(form))

    assert (loaded["channel"], loaded["place"], loaded["photos"]) == ("online", "shared",
                                                                      ["https://img.example.cn/jc2-1.jpg"])


@pytest.mark.parametrize(("first", "last", "name"), [
    ("阿姨", "王", "王阿姨"), ("Jane", "Doe", "Jane Doe"), ("Jane", "王", "Jane 王"), (None, "康师傅", "康师傅"),
    ("Jane", None, "Jane"),
])
def test_the_reporters_name_is_written_as_its_language_writes_it(first, last, name):
    assert open311.reporter_name(first, last) == name


def test_a_form_without_a_phone_reports_no_phone():
    form = {k: v for k, v in FORM.items() if k != "phone"}

    assert open311.report_from_form(form)["reporter"] == {"name": "王阿姨"}


def test_every_missing_field_is_named_at_once():
    with pytest.raises(ValidationFailed) as refused:
        open311.report_from_form({"phone": "13807310001", "first_name": "  "})

    assert refused.value.fields == {"service_code": "required", "description": "required",
                                    "address_id": "required", "first_name": "required (or last_name)"}


def test_a_place_given_only_by_coordinates_is_refused_saying_why():
    form = {k: v for k, v in FORM.items() if k != "address_id"} | {"lat": "28.18", "long": "113.01"}

    with pytest.raises(ValidationFailed) as refused:
        open311.report_from_form(form)

    assert list(refused.value.fields) == ["address_id"]
    assert "roster tree" in refused.value.fields["address_id"]


def test_with_the_labels_an_unknown_service_code_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        open311.report_from_form({**FORM, "service_code": "potholes"}, LABELS)

    assert refused.value.fields == {"service_code": "no such service"}


def test_the_report_rpcs_errors_name_the_form_fields_they_came_from():
    error = ValidationFailed("invalid input", [
        {"field": "category", "reason": "not in the taxonomy: x"},
        {"field": "reporter.phone", "reason": "must be a mobile or landline number"},
        {"field": "photos.0", "reason": "Longer than maximum length 300."},
        {"field": "urgency", "reason": "Must be one of: normal."},
    ])

    renamed = open311.in_form_terms(error)

    assert isinstance(renamed, ValidationFailed)
    assert list(renamed.fields) == ["service_code", "phone", "media_url", "urgency"]
    assert all(detail["reason_zh"] for detail in renamed.details)


# XML and errors

def test_requests_as_xml_parse_back_with_chinese_intact_and_illegal_characters_left_out():
    request = open311.request_from_case(jinchang_case(description="下水道\x01堵塞\ufffe"))

    parsed = ET.fromstring(open311.to_xml("service_requests", "request", [request]))

    assert parsed.tag == "service_requests"
    assert [child.tag for child in parsed] == ["request"]
    assert parsed.find("request/description").text == "下水道堵塞"
    assert parsed.find("request/address").text == "雨花区左家塘街道嘉园社区第一网格红花坡片区金昌花园2栋1单元"
    assert parsed.find("request/zipcode").text is None


def test_xml_opens_with_its_declaration_in_double_quotes():
    assert open311.to_xml("services", "service", []).startswith(b'<?xml version="1.0" encoding="utf-8"?>')


def test_services_as_xml_say_booleans_and_keywords_as_georeport_does():
    parsed = ET.fromstring(open311.to_xml("services", "service", open311.services_from_labels(LABELS)))

    drains = parsed.find("service")
    assert (drains.find("metadata").text, drains.find("keywords").text) == ("false", "下水道堵塞,drains,设施维修")
    assert len(parsed.findall("service")) == 4


def test_a_nested_mapping_is_child_elements_and_a_lone_surrogate_is_left_out():
    row = {"service_code": "drains", "attributes": {"floor": "1\ud800楼"}}

    parsed = ET.fromstring(open311.to_xml("service_definitions", "service_definition", [row]))

    assert parsed.find("service_definition/attributes/floor").text == "1楼"


def test_errors_as_xml():
    parsed = ET.fromstring(open311.to_xml("errors", "error", open311.errors_body(404, "没有这个事件")))

    assert (parsed.find("error/code").text, parsed.find("error/description").text) == ("404", "没有这个事件")


def test_an_error_with_details_is_one_georeport_error_per_detail():
    error = ValidationFailed("invalid", [{"field": "service_code", "reason": "required"},
                                         {"field": "address_id", "reason": "required"}])

    assert open311.errors_from(error, 400) == [{"code": 400, "description": "service_code: required"},
                                               {"code": 400, "description": "address_id: required"}]


def test_an_error_without_details_is_its_message():
    assert open311.errors_from(Conflict("the case changed meanwhile"), 409) == [
        {"code": 409, "description": "the case changed meanwhile"}]

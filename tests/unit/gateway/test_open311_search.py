"""GET /requests and discovery as Open311 GeoReport v2: the ids asked for, the filters as searches
of cases, the searches' cases newest first, the discovery document, and one object as XML."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.cases.lifecycle import STATES
from services.gateway import open311
from shared.errors import ValidationFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)
EVERY_STATE = sorted(STATES)
ENDED = {"closed", "duplicate", "sent_back"}
BASE_URL = "https://linli.example.cn/open311/v2"


def searches(**query) -> list[dict]:
    """The searches for a GET /requests query, on 2026-11-20 in Changsha."""
    return open311.search_arguments(query, EVERY_STATE, TODAY, SHANGHAI)


def refused(**query) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as error:
        searches(**query)
    return error.value


def case(case_id: str, reported_at: str | None) -> dict:
    return {"case_id": case_id, "reported_at": reported_at}


# service_request_id

def test_without_service_request_id_no_ids_are_asked_for():
    assert open311.requested_ids({"status": "open"}) is None
    assert open311.requested_ids({}) is None


def test_the_ids_are_kept_in_order_each_once():
    assert open311.requested_ids({"service_request_id": "case_3,case_1,case_3,case_2,case_1"}) == [
        "case_3", "case_1", "case_2"]


def test_blank_ids_and_spaces_around_ids_are_ignored():
    assert open311.requested_ids({"service_request_id": " case_1 ,, ,case_2,"}) == ["case_1", "case_2"]


@pytest.mark.parametrize("given", ["", " ", ",", " , ,"])
def test_no_id_at_all_is_refused_naming_service_request_id(given):
    with pytest.raises(ValidationFailed) as error:
        open311.requested_ids({"service_request_id": given})

    assert list(error.value.fields) == ["service_request_id"]


def test_fifty_ids_are_accepted():
    ids = [f"case_{n}" for n in range(50)]

    assert open311.requested_ids({"service_request_id": ",".join(ids)}) == ids


def test_more_than_fifty_ids_are_refused_naming_service_request_id():
    given = ",".join(f"case_{n}" for n in range(51))

    with pytest.raises(ValidationFailed) as error:
        open311.requested_ids({"service_request_id": given})

    assert list(error.value.fields) == ["service_request_id"]
    assert "50" in error.value.fields["service_request_id"]


def test_fifty_ids_asked_for_twice_each_are_fifty_ids():
    ids = [f"case_{n}" for n in range(50)]

    assert open311.requested_ids({"service_request_id": ",".join(ids + ids)}) == ids


# search arguments: dates

def test_by_default_one_search_of_every_state_over_the_90_days_up_to_today():
    assert searches() == [{"date_from": (TODAY - timedelta(days=89)).isoformat(), "date_to": "2026-11-20",
                           "limit": 200}]  # 90 days, both ends included


def test_a_moment_in_utc_is_read_as_the_local_day():
    [arguments] = searches(start_date="2026-11-01T00:00:00Z", end_date="2026-11-10T00:00:00Z")

    assert (arguments["date_from"], arguments["date_to"]) == ("2026-11-01", "2026-11-10")


def test_a_utc_evening_is_already_the_next_local_day():
    [arguments] = searches(start_date="2026-10-31T20:00:00Z", end_date="2026-11-09T16:00:00Z")

    assert (arguments["date_from"], arguments["date_to"]) == ("2026-11-01", "2026-11-10")


def test_a_utc_afternoon_is_still_the_same_local_day():
    [arguments] = searches(start_date="2026-10-31T15:59:59Z")

    assert arguments["date_from"] == "2026-10-31"


def test_a_moment_without_an_offset_is_taken_as_local():
    [arguments] = searches(start_date="2026-11-01T23:30:00", end_date="2026-11-10T00:30:00")

    assert (arguments["date_from"], arguments["date_to"]) == ("2026-11-01", "2026-11-10")


def test_a_moment_at_another_offset_is_moved_to_the_local_day():
    [arguments] = searches(start_date="2026-11-01T23:00:00-05:00")

    assert arguments["date_from"] == "2026-11-02"


def test_with_only_a_start_date_the_range_ends_today():
    [arguments] = searches(start_date="2026-11-01T00:00:00+08:00")

    assert (arguments["date_from"], arguments["date_to"]) == ("2026-11-01", "2026-11-20")


def test_with_only_an_end_date_the_range_is_the_90_days_up_to_it():
    [arguments] = searches(end_date="2026-10-01T12:00:00+08:00")

    assert (arguments["date_from"], arguments["date_to"]) == ("2026-07-04", "2026-10-01")


def test_one_day_is_a_range():
    [arguments] = searches(start_date="2026-11-05T08:00:00+08:00", end_date="2026-11-05T20:00:00+08:00")

    assert (arguments["date_from"], arguments["date_to"]) == ("2026-11-05", "2026-11-05")


def test_a_range_of_exactly_the_default_span_is_accepted():
    [arguments] = searches(start_date="2026-08-01T00:00:00+08:00", end_date="2026-10-29T00:00:00+08:00")

    assert (arguments["date_from"], arguments["date_to"]) == ("2026-08-01", "2026-10-29")  # 90 days


def test_an_unparseable_date_is_refused_naming_it():
    assert list(refused(start_date="2026-11-31").fields) == ["start_date"]
    assert list(refused(end_date="yesterday").fields) == ["end_date"]


def test_an_end_before_the_start_is_refused_naming_end_date():
    error = refused(start_date="2026-11-10T00:00:00+08:00", end_date="2026-11-09T00:00:00+08:00")

    assert list(error.fields) == ["end_date"]
    assert "before" in error.fields["end_date"]


def test_a_range_over_90_days_is_refused_naming_end_date():
    error = refused(start_date="2026-08-01T00:00:00+08:00", end_date="2026-10-31T00:00:00+08:00")

    assert list(error.fields) == ["end_date"]
    assert "90" in error.fields["end_date"]


def test_a_moment_whose_local_day_is_past_the_calendar_is_refused_naming_it():
    assert list(refused(start_date="9999-12-31T20:00:00Z").fields) == ["start_date"]


def test_an_end_in_the_first_days_of_the_calendar_searches_from_its_first_day():
    [arguments] = searches(end_date="0001-01-01T00:00:00")

    assert (arguments["date_from"], arguments["date_to"]) == ("0001-01-01", "0001-01-01")


def test_a_start_in_the_future_without_an_end_is_refused_naming_start_date():
    assert list(refused(start_date="2026-12-25T00:00:00+08:00").fields) == ["start_date"]


# search arguments: status

def test_open_is_every_state_but_the_ended_ones():
    [arguments] = searches(status="open")

    assert set(arguments["state"]) == set(STATES) - ENDED
    assert len(arguments["state"]) == len(STATES) - 3
    assert {"resolved", "self_resolved", "suspended", "reported"} <= set(arguments["state"])


def test_closed_is_exactly_the_ended_states():
    [arguments] = searches(status="closed")

    assert sorted(arguments["state"]) == sorted(ENDED)


def test_the_states_keep_the_order_they_are_given_in():
    states = ["sent_back", "reported", "closed", "in_progress", "duplicate"]

    [arguments] = open311.search_arguments({"status": "closed"}, states, TODAY, SHANGHAI)

    assert arguments["state"] == ["sent_back", "closed", "duplicate"]


@pytest.mark.parametrize("status", ["open,closed", "closed, open", "open,closed,open", ""])
def test_open_and_closed_together_or_neither_filter_no_state(status):
    [arguments] = searches(status=status)

    assert "state" not in arguments


def test_a_status_repeated_or_spaced_is_one_status():
    [arguments] = searches(status=" closed ,closed,")

    assert sorted(arguments["state"]) == sorted(ENDED)


@pytest.mark.parametrize("status", ["pending", "OPEN", "open,resolved"])
def test_a_status_other_than_open_or_closed_is_refused_naming_status(status):
    assert list(refused(status=status).fields) == ["status"]


def test_every_filter_at_fault_is_named_at_once():
    error = refused(status="pending", start_date="soon", service_code=",".join(f"c{n}" for n in range(21)))

    assert set(error.fields) == {"service_code", "status", "start_date"}
    for field in ("service_code", "status", "start_date"):
        assert field in error.message


def test_a_bad_status_and_a_reversed_range_are_named_together():
    error = refused(status="done", start_date="2026-11-10", end_date="2026-11-01")

    assert set(error.fields) == {"status", "end_date"}


# search arguments: service codes

def test_without_service_code_one_search_of_every_category():
    [arguments] = searches(status="open")

    assert "category" not in arguments


def test_one_search_per_code_each_with_the_same_dates_and_states():
    found = searches(service_code="drains,leaks", status="open", start_date="2026-11-01T00:00:00Z")

    assert [arguments["category"] for arguments in found] == ["drains", "leaks"]
    common = [{k: v for k, v in arguments.items() if k != "category"} for arguments in found]
    assert common[0] == common[1]
    assert (common[0]["date_from"], common[0]["date_to"], common[0]["limit"]) == ("2026-11-01", "2026-11-20", 200)
    assert set(common[0]["state"]) == set(STATES) - ENDED


def test_codes_are_searched_once_each_blanks_and_spaces_ignored():
    found = searches(service_code=" leaks ,drains,,leaks, ")

    assert [arguments["category"] for arguments in found] == ["leaks", "drains"]


def test_twenty_codes_are_accepted():
    assert len(searches(service_code=",".join(f"c{n}" for n in range(20)))) == 20


def test_more_than_twenty_codes_are_refused_naming_service_code():
    error = refused(service_code=",".join(f"c{n}" for n in range(21)))

    assert list(error.fields) == ["service_code"]
    assert "20" in error.fields["service_code"]


def test_each_search_asks_for_at_most_200_cases():
    assert {arguments["limit"] for arguments in searches(service_code="drains,leaks,other")} == {200}


# newest first

def test_the_pages_are_merged_newest_first():
    drains = [case("d2", "2026-11-03T02:00:00.000+00:00"), case("d1", "2026-11-01T02:00:00.000+00:00")]
    leaks = [case("l2", "2026-11-04T02:00:00.000+00:00"), case("l1", "2026-11-02T02:00:00.000+00:00")]

    merged = open311.newest_first([drains, leaks])

    assert [c["case_id"] for c in merged] == ["l2", "d2", "l1", "d1"]


def test_no_pages_or_empty_pages_are_no_cases():
    assert open311.newest_first([]) == []
    assert open311.newest_first([[], []]) == []


def test_at_most_the_200_newest_are_kept():
    pages = [[case(f"p{page}_{n}", f"2026-10-{1 + n % 28:02d}T{page:02d}:{n % 60:02d}:00.000+00:00")
              for n in range(150)] for page in range(3)]

    merged = open311.newest_first(pages)

    assert len(merged) == 200
    every = sorted((c for page in pages for c in page), key=lambda c: c["reported_at"], reverse=True)
    assert [c["reported_at"] for c in merged] == [c["reported_at"] for c in every[:200]]


def test_a_case_without_a_reception_time_comes_last():
    merged = open311.newest_first([[case("undated", None), case("old", "2026-01-01T00:00:00.000+00:00")],
                                   [{"case_id": "missing"}, case("new", "2026-11-01T00:00:00.000+00:00")]])

    assert [c["case_id"] for c in merged[:2]] == ["new", "old"]
    assert {c["case_id"] for c in merged[2:]} == {"undated", "missing"}


# discovery

def test_the_discovery_document_names_one_endpoint_speaking_xml_and_json():
    document = open311.discovery(BASE_URL, "12345 便民热线", "2026-11-01T00:00:00+08:00")

    assert (document["changeset"], document["contact"]) == ("2026-11-01T00:00:00+08:00", "12345 便民热线")
    assert document["key_service"]
    [endpoint] = document["endpoints"]
    assert endpoint == {"specification": "http://wiki.open311.org/GeoReport_v2", "url": BASE_URL,
                        "changeset": "2026-11-01T00:00:00+08:00", "type": "production",
                        "formats": ["text/xml", "application/json"]}


def test_the_discovery_document_as_xml_parses_back():
    body = open311.discovery_xml(open311.discovery(BASE_URL, "12345 便民热线", "2026-11-01"))

    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    parsed = ET.fromstring(body)
    assert parsed.tag == "discovery"
    assert (parsed.find("changeset").text, parsed.find("contact").text) == ("2026-11-01", "12345 便民热线")
    assert parsed.find("key_service").text
    endpoints = parsed.findall("endpoints/endpoint")
    assert len(endpoints) == 1
    assert endpoints[0].find("url").text == BASE_URL
    assert endpoints[0].find("specification").text == "http://wiki.open311.org/GeoReport_v2"
    assert (endpoints[0].find("changeset").text, endpoints[0].find("type").text) == ("2026-11-01", "production")
    assert [f.text for f in endpoints[0].findall("formats/format")] == ["text/xml", "application/json"]


def test_a_discovery_document_without_a_contact_is_an_empty_contact_element():
    parsed = ET.fromstring(open311.discovery_xml(open311.discovery(BASE_URL, "", "2026-11-01")))

    assert parsed.find("contact") is not None
    assert not parsed.find("contact").text


# one object as XML

def test_a_service_definition_as_xml():
    body = open311.object_xml("service_definition", {"service_code": "drains", "attributes": []})

    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    parsed = ET.fromstring(body)
    assert parsed.tag == "service_definition"
    assert [child.tag for child in parsed] == ["service_code", "attributes"]
    assert parsed.find("service_code").text == "drains"
    attributes = parsed.find("attributes")
    assert len(attributes) == 0 and attributes.text is None


def test_an_object_keeps_chinese_text_and_leaves_out_illegal_characters():
    body = open311.object_xml("service", {"service_name": "下水道\x0b堵塞", "group": "设施维修", "metadata": False})

    parsed = ET.fromstring(body)
    assert parsed.find("service_name").text == "下水道堵塞"
    assert parsed.find("group").text == "设施维修"
    assert parsed.find("metadata").text == "false"
    assert "设施维修".encode() in body


def test_an_object_with_a_none_or_a_nested_mapping():
    parsed = ET.fromstring(open311.object_xml("request", {"zipcode": None, "place": {"unit": "2栋1单元"}}))

    assert parsed.find("zipcode").text is None
    assert parsed.find("place/unit").text == "2栋1单元"

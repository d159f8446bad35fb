"""Open311 GeoReport v2 over the gateway: services from cases' categories, a form filed as a
report with the key in the form, requests read with a key or as the key for public reads, in
JSON and XML, errors as a list of `{code, description}`."""

import json
import xml.etree.ElementTree as ET

from shared.actor import Actor
from shared.errors import ValidationFailed

FORM = {"service_code": "drains", "description": "2栋下水道堵塞", "address_id": "unit_jc2_1", "first_name": "大爷",
        "last_name": "王", "phone": "13900001111"}


def rows(response) -> list | dict:
    return json.loads(response.get_data(as_text=True))


def test_services_are_the_case_categories_with_their_groups_in_json_and_xml(gateway):
    services = rows(gateway.request("open311_services", "GET", "/open311/v2/services.json", fmt="json"))
    drains = next(s for s in services if s["service_code"] == "drains")
    assert drains["service_name"] == "下水道堵塞" and drains["group"] and drains["metadata"] is False
    answer = gateway.request("open311_services", "GET", "/open311/v2/services.xml", fmt="xml")
    assert answer.headers["Content-Type"].startswith("text/xml")
    tree = ET.fromstring(answer.get_data())
    assert tree.tag == "services"
    assert [s.findtext("service_code") for s in tree] == [s["service_code"] for s in services]


def test_a_service_definition_and_an_unknown_service(gateway):
    found = gateway.request("open311_service_definition", "GET", "/open311/v2/services/drains.json", code="drains",
                            fmt="json")
    assert rows(found) == {"service_code": "drains", "attributes": []}
    missing = gateway.request("open311_service_definition", "GET", "/open311/v2/services/nope.xml", code="nope",
                              fmt="xml")
    assert missing.status_code == 404
    error = ET.fromstring(missing.get_data()).find("error")
    assert error.findtext("code") == "404" and "service_code" in error.findtext("description")


def test_a_form_with_its_api_key_is_filed_as_the_keys_actor(gateway):
    key = gateway.issue()
    filed = gateway.request("open311_report", "POST", "/open311/v2/requests.json", fmt="json",
                            build={"data": {**FORM, "api_key": key}})
    assert filed.status_code == 201, filed.get_data(as_text=True)
    assert rows(filed) == [{"service_request_id": "case_1", "service_notice": None, "account_id": None}]
    assert filed.headers["Location"] == "/open311/v2/requests/case_1.json"
    [(method, report)] = gateway.asked
    assert method == "report" and report["category"] == "drains" and report["unit_id"] == "unit_jc2_1"
    assert report["reporter"] == {"name": "王大爷", "phone": "13900001111"} and report["channel"] == "online"
    assert [a.who for a in gateway.access.acted_as if a.role != "system"] == ["district-app"]


def test_a_form_without_a_key_or_a_place_is_refused_naming_the_fields_and_nothing_is_filed(gateway):
    key = gateway.issue()
    unkeyed = gateway.request("open311_report", "POST", "/open311/v2/requests.json", fmt="json", build={"data": FORM})
    assert unkeyed.status_code == 403
    assert "api_key" in rows(unkeyed)[0]["description"]
    unplaced = gateway.request("open311_report", "POST", "/open311/v2/requests.json", fmt="json",
                               build={"data": {**FORM, "address_id": "", "api_key": key}})
    assert unplaced.status_code == 400
    assert [e["description"].split(":")[0] for e in rows(unplaced)] == ["address_id"]
    assert gateway.asked == []


def test_a_refusal_by_cases_names_the_forms_own_fields(gateway):
    key = gateway.issue()
    gateway.cases.fail_with = ValidationFailed("bad", [{"field": "reporter.phone", "reason": "not a phone number"}])
    refused = gateway.request("open311_report", "POST", "/open311/v2/requests.json", fmt="json",
                              build={"data": {**FORM, "api_key": key}})
    assert refused.status_code == 400
    assert rows(refused) == [{"code": 400, "description": "phone: not a phone number"}]


def test_a_read_without_a_key_needs_the_key_ops_marked_for_public_reads(gateway):
    refused = gateway.request("open311_request", "GET", "/open311/v2/requests/case_1.json", request_id="case_1",
                              fmt="json")
    assert refused.status_code == 403 and gateway.asked == []
    gateway.public_key()
    read = gateway.request("open311_request", "GET", "/open311/v2/requests/case_1.json", request_id="case_1",
                           fmt="json")
    assert read.status_code == 200
    [request] = rows(read)
    assert request["service_request_id"] == "case_1" and request["status"] == "open"
    assert request["address"] == "嘉园社区金昌花园2栋1单元"
    assert "王大爷" not in read.get_data(as_text=True) and "13900001111" not in read.get_data(as_text=True)
    public = Actor("open311-public", "building_leader", ("unit_yuhua", "unit_zjt", "unit_jiayuan"))
    assert [a for a in gateway.access.acted_as if a.role != "system"] == [public]  # the gateway asks labels itself


def test_requests_are_searched_by_their_filters_and_listed_ids_skip_what_cannot_be_read(gateway):
    key = gateway.issue()
    listed = gateway.request("open311_requests", "GET", "/open311/v2/requests.json", fmt="json", build={
        "query_string": f"api_key={key}&status=open&service_code=drains&start_date=2026-11-01T00:00:00%2B08:00"})
    assert listed.status_code == 200
    [(method, search)] = gateway.asked
    assert method == "search" and search["category"] == "drains" and search["date_from"] == "2026-11-01"
    assert "closed" not in search["state"] and "reported" in search["state"]
    assert [r["status"] for r in rows(listed)] == ["closed"]
    by_id = gateway.request("open311_requests", "GET", "/open311/v2/requests.json", fmt="json",
                            build={"query_string": f"api_key={key}&service_request_id=case_2,missing_1,case_3"})
    assert [r["service_request_id"] for r in rows(by_id)] == ["case_2", "case_3"]


def test_bad_filters_and_formats_are_answered_as_open311_errors(gateway):
    key = gateway.issue()
    bad = gateway.request("open311_requests", "GET", "/open311/v2/requests.json", fmt="json",
                          build={"query_string": f"api_key={key}&status=pending&end_date=yesterday"})
    assert bad.status_code == 400
    assert {e["description"].split(":")[0] for e in rows(bad)} == {"status", "end_date"}
    csv = gateway.request("open311_services", "GET", "/open311/v2/services.csv", fmt="csv")
    assert csv.status_code == 404
    assert gateway.asked == []


def test_the_discovery_document_names_the_endpoint_and_its_formats(gateway):
    document = rows(gateway.request("open311_discovery", "GET", "/open311/v2/discovery.json", fmt="json"))
    [endpoint] = document["endpoints"]
    assert endpoint["url"] == "http://localhost/open311/v2" and endpoint["formats"] == ["text/xml", "application/json"]
    tree = ET.fromstring(gateway.request("open311_discovery", "GET", "/open311/v2/discovery.xml", fmt="xml").get_data())
    assert [f.text for f in tree.iter("format")] == ["text/xml", "application/json"]


def test_one_key_for_public_reads_at_a_time(gateway):
    gateway.public_key()
    try:
        gateway.public_key()
    except Exception as error:  # noqa: BLE001
        assert error.code == "conflict" and error.details[0]["field"] == "public_reads"
    else:
        raise AssertionError("a second key for public reads was issued")
    first = next(k for k in gateway.worker().list_keys()["keys"] if k["public_reads"])
    gateway.worker().revoke_key(key_id=first["key_id"])
    assert gateway.public_key().startswith("lk_")


def test_a_request_for_several_ids_counts_once_against_the_key(gateway):
    key = gateway.issue(per_minute=2)
    listed = gateway.request("open311_requests", "GET", "/open311/v2/requests.json", fmt="json",
                             build={"query_string": f"api_key={key}&service_request_id=a,b,c,d,e"})
    assert listed.status_code == 200 and len(rows(listed)) == 5
    again = gateway.request("open311_requests", "GET", "/open311/v2/requests.json", fmt="json",
                            build={"query_string": f"api_key={key}&service_request_id=a"})
    assert again.status_code == 200

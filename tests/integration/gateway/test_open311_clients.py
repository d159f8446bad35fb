"""Open311 client libraries from PyPI against the running gateway, each used as its own
documentation shows: `georeport` (reads: services, a request's status, in JSON and XML) and
`civicbot` (files a request with an API key); the case behind each request is the one cases
keeps, its status following the case."""

from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import CONFIRM_TOKEN, Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

UNIT = "金昌花园/2栋/1单元"


def civicbot_client(gateway_url: str) -> Open311Client:
    endpoint = Endpoint(id="linli-jiayuan", name="嘉园社区 Open311", base_url=f"{gateway_url}/open311/v2", write=True)
    return Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0)))


def test_georeport_lists_services_and_civicbot_files_a_request_whose_status_georeport_reads(
        gateway_url, office_key, public_key, place, cases):
    georeport = GeoReport(f"{gateway_url}/open311/v2")
    services = georeport.get_service_list()
    codes = {service["service_code"]: service for service in services}
    assert codes["drains"]["service_name"] == "下水道堵塞" and "group" in codes["drains"]
    assert georeport.get_service_definition("drains") == {"service_code": "drains", "attributes": []}

    filed = civicbot_client(gateway_url).create_request(
        "drains", dry_run=False, confirm=CONFIRM_TOKEN, api_key=office_key, address_id=place(UNIT),
        description="2栋下水道堵塞，污水外溢", first_name="大爷", last_name="王", phone="13900001111")
    [answer] = filed.response
    case_id = answer["service_request_id"]
    case = cases.get_case(case_id=case_id)
    assert case["channel"] == "online" and case["reporter"]["name"] == "王大爷"
    assert case["timeline"][0]["actor"]["who"] == "district-cases"

    request = georeport.get_service_request(case_id)
    assert request["status"] == "open" and request["service_code"] == "drains"
    assert request["address_id"] == place(UNIT) and request["address"].endswith("金昌花园2栋1单元")
    assert "13900001111" not in str(request) and "王大爷" not in str(request)
    [listed] = georeport.get_service_requests(service_request_id=case_id)
    assert listed["service_request_id"] == case_id

    cases.mark_duplicate(case_id=case_id, duplicate_of=cases.report(
        channel="visit", reporter={"name": "李阿姨"}, unit_id=place(UNIT), category="drains",
        description="2栋下水道堵塞")["case_id"])
    assert georeport.get_service_request(case_id)["status"] == "closed"


def test_georeport_reads_the_same_in_xml(gateway_url, office_key, public_key, place):
    filed = civicbot_client(gateway_url).create_request(
        "street_lights", dry_run=False, confirm=CONFIRM_TOKEN, api_key=office_key, address_id=place(UNIT),
        description="楼下路灯不亮", last_name="赵")
    case_id = filed.response[0]["service_request_id"]
    georeport = GeoReport(f"{gateway_url}/open311/v2", output_format="xml")
    services = georeport.get_service_list()
    assert "street_lights" in {service["service_code"] for service in services}
    request = georeport.get_service_request(case_id)  # xmltodict: a list of one is the one request
    assert request["service_request_id"] == case_id and request["status"] == "open"
    assert request["address"].startswith("雨花区")
    open_ones = georeport.get_service_requests(service_code="street_lights", status="open")
    assert open_ones["service_request_id"] == case_id if isinstance(open_ones, dict) else case_id in {
        r["service_request_id"] for r in open_ones}


def test_without_a_public_key_reads_need_a_key_and_filing_always_does(gateway_url, office_key, place):
    georeport = GeoReport(f"{gateway_url}/open311/v2")
    try:
        georeport.get_service_requests(status="open")
    except Exception as error:  # noqa: BLE001 - requests' HTTPError
        assert error.response.status_code == 403
        assert "api_key" in error.response.json()[0]["description"]
    else:
        raise AssertionError("requests were read without any key")
    assert georeport.get_service_list()  # the services are public: the categories, nothing of anyone's

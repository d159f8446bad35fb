"""The JSON API: the caller named by its key, the services' answers and errors as HTTP."""

import json

from nameko.exceptions import RemoteError

from shared.actor import Actor
from shared.errors import Conflict, NotFound, ValidationFailed

REPORT = {"channel": "online", "reporter": {"name": "王阿姨", "phone": "13807310001"}, "unit_id": "unit_jc2_1",
          "category": "neighbour_dispute", "description": "楼上漏水"}


def body(response) -> dict:
    return json.loads(response.get_data(as_text=True))


def test_a_report_is_made_as_the_keys_actor_and_answered_201_with_its_location(gateway):
    key = gateway.issue()
    response = gateway.request("report_case", "POST", "/api/v1/cases", key, build={"json": REPORT})
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/cases/case_1"
    assert response.headers["Content-Type"].startswith("application/json")
    assert body(response)["case_id"] == "case_1"
    assert gateway.asked == [("report", REPORT)]
    assert gateway.access.acted_as[-1] == Actor("district-app", "secretary", ("unit_yuhua", "unit_zjt", "unit_jiayuan"))


def test_without_a_key_or_with_a_wrong_one_nothing_is_asked_and_the_answer_is_401(gateway):
    gateway.issue()
    for key in (None, "lk_not-a-key"):
        response = gateway.request("report_case", "POST", "/api/v1/cases", key, build={"json": REPORT})
        assert response.status_code == 401, key
        assert response.headers["WWW-Authenticate"].startswith("ApiKey")
        assert body(response)["error"]["code"] == "unauthenticated"
        assert body(response)["error"]["details"][0]["field"] == "api_key"
    assert gateway.asked == []


def test_a_revoked_key_is_refused_from_the_next_request(gateway):
    key = gateway.issue()
    assert gateway.request("get_case", "GET", "/api/v1/cases/case_1", key, case_id="case_1").status_code == 200
    key_id = gateway.worker().list_keys()["keys"][0]["key_id"]
    assert gateway.worker().revoke_key(key_id=key_id)["revoked"] is True
    assert gateway.request("get_case", "GET", "/api/v1/cases/case_1", key, case_id="case_1").status_code == 401
    assert gateway.asked == [("get_case", {"case_id": "case_1"})]


def test_a_key_over_its_limit_is_answered_429_with_retry_after(gateway):
    key = gateway.issue(per_minute=2)
    codes = [gateway.request("get_case", "GET", "/api/v1/cases/c", key, case_id="c").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = gateway.request("get_case", "GET", "/api/v1/cases/c", key, case_id="c")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len(gateway.asked) == 2


def test_each_error_code_of_a_service_gets_its_status_with_the_fields_named(gateway):
    key = gateway.issue()
    remote = RemoteError("AlreadyPaid", json.dumps({"code": "conflict", "message": "paid", "details": [
        {"field": "household", "reason": "already paid"}]}))
    answers = ((ValidationFailed("bad", [{"field": "category", "reason": "unknown"}]), 400, "category"),
               (NotFound("no case", [{"field": "case_id", "reason": "not found"}]), 404, "case_id"),
               (Conflict("taken", [{"field": "request_id", "reason": "used"}]), 409, "request_id"),
               (remote, 409, "household"))
    for error, status, field in answers:
        gateway.cases.fail_with = error
        response = gateway.request("get_case", "GET", "/api/v1/cases/c", key, case_id="c")
        assert response.status_code == status, error
        assert body(response)["error"]["details"][0]["field"] == field


def test_an_unexpected_failure_is_a_500_that_tells_nothing_of_it(gateway):
    key = gateway.issue()
    gateway.cases.fail_with = RemoteError("KeyError", "'secret detail'")
    response = gateway.request("get_case", "GET", "/api/v1/cases/c", key, case_id="c")
    assert response.status_code == 500
    assert body(response)["error"]["code"] == "error" and "secret" not in response.get_data(as_text=True)


def test_a_service_not_running_or_the_gateways_database_gone_is_a_503_to_retry(gateway):
    from nameko.exceptions import UnknownService
    from pymongo.errors import ServerSelectionTimeoutError

    key = gateway.issue()
    for failure in (UnknownService("cases"), ServerSelectionTimeoutError("no server")):
        gateway.cases.fail_with = failure
        response = gateway.request("get_case", "GET", "/api/v1/cases/c", key, case_id="c")
        assert response.status_code == 503, failure
        assert response.headers["Retry-After"] == "5"
        assert body(response)["error"]["code"] == "unavailable"


def test_the_callers_key_in_the_query_string_is_not_passed_on(gateway):
    key = gateway.issue()
    response = gateway.request("search_cases", "GET", "/api/v1/cases", build={"query_string": f"api_key={key}&limit=3"})
    assert response.status_code == 200
    assert gateway.asked == [("search", {"limit": 3})]


def test_a_body_too_large_or_an_idempotency_key_too_long_is_refused_naming_it(gateway):
    key = gateway.issue()
    large = gateway.request("report_case", "POST", "/api/v1/cases", key,
                            build={"json": {**REPORT, "description": "漏" * 400_000}})
    assert large.status_code == 400 and body(large)["error"]["details"][0]["field"] == "body"
    long_key = gateway.request("report_case", "POST", "/api/v1/cases", key,
                               build={"json": REPORT, "headers": {"Idempotency-Key": "k" * 101}})
    assert [d["field"] for d in body(long_key)["error"]["details"]] == ["Idempotency-Key"]
    assert gateway.asked == []


def test_without_a_key_the_body_is_not_even_read(gateway):
    response = gateway.request("report_case", "POST", "/api/v1/cases", build={"data": "not json"})
    assert response.status_code == 401


def test_a_body_that_is_not_a_json_object_is_refused_naming_the_body(gateway):
    key = gateway.issue()
    for data in ("not json", "[1, 2]"):
        response = gateway.request("report_case", "POST", "/api/v1/cases", key,
                                   build={"data": data, "content_type": "application/json"})
        assert response.status_code == 400
        assert [d["field"] for d in body(response)["error"]["details"]] == ["body"]
    assert gateway.asked == []


def test_query_strings_reach_search_typed_as_its_schema_takes_them(gateway):
    key = gateway.issue()
    response = gateway.request("search_cases", "GET", "/api/v1/cases", key,
                               build={"query_string": "state=reported&state=closed&limit=5&overdue=true&x=1"})
    assert response.status_code == 200
    assert gateway.asked == [("search", {"state": ["reported", "closed"], "limit": 5, "overdue": True,
                                                     "x": "1"})]


def test_stats_take_the_node_from_the_path(gateway):
    key = gateway.issue()
    response = gateway.request("stats", "GET", "/api/v1/stats/unit_jiayuan", key, node_id="unit_jiayuan",
                               build={"query_string": "date_from=2026-11-01"})
    assert response.status_code == 200
    assert gateway.asked == [("stats", {"date_from": "2026-11-01", "node_id": "unit_jiayuan"})]


def test_only_root_roles_manage_keys_and_a_key_below_root_needs_its_place(gateway):
    gateway.access.actor = Actor("曾玉琴", "secretary", ("unit_yuhua", "unit_zjt", "unit_jiayuan"))
    for method, data in (("issue_key", {"name": "x", "who": "x", "role": "admin"}), ("list_keys", {}),
                         ("revoke_key", {"key_id": "abc"})):
        try:
            getattr(gateway.worker(), method)(**data)
        except Exception as error:  # noqa: BLE001
            assert getattr(error, "code", None) == "forbidden", method
        else:
            raise AssertionError(method)
    gateway.access.actor = Actor("ops", "admin")
    try:
        gateway.issue(node_id=None)
    except ValidationFailed as error:
        assert error.fields == {"node_id": "required unless the role is root"}
    else:
        raise AssertionError("a secretary's key without a place was issued")
    assert gateway.worker().list_keys() == {"keys": []}


def test_the_raw_key_is_shown_once_and_never_listed(gateway):
    issued = gateway.worker().issue_key(name="FixMyStreet", who="fms", role="admin")
    listed = gateway.worker().list_keys()["keys"]
    assert [k["key_id"] for k in listed] == [issued["key_id"]]
    assert issued["api_key"] not in json.dumps(listed, default=str)
    assert all("api_key" not in k and "_id" not in k for k in listed)


def test_a_notice_is_sent_as_the_keys_actor_and_answered_201_with_its_location(gateway):
    key = gateway.issue()
    notice = {"to": [{"node_id": "unit_jiayuan", "role": "unit_leader"}],
              "fields": {"title": "停水通知"}}
    sent = gateway.request("send_notice", "POST", "/api/v1/notices", key, build={"json": notice})
    assert sent.status_code == 201
    assert sent.headers["Location"] == "/api/v1/notices/notice_1"
    assert gateway.notifications_proxy.calls[-1] == ("notify", notice)
    status = gateway.request("notice_status", "GET", "/api/v1/notices/notice_1", key, notice_id="notice_1")
    assert body(status)["recipients"] == 3


def test_an_idempotency_key_becomes_the_commands_request_id(gateway):
    key = gateway.issue()
    made = gateway.request("report_case", "POST", "/api/v1/cases", key,
                           build={"json": REPORT, "headers": {"Idempotency-Key": "retry-1"}})
    assert made.status_code == 201
    assert gateway.asked == [("report", {**REPORT, "request_id": "retry-1"})]
    clash = gateway.request("report_case", "POST", "/api/v1/cases", key, build={
        "json": {**REPORT, "request_id": "other"}, "headers": {"Idempotency-Key": "retry-1"}})
    assert clash.status_code == 400
    assert [d["field"] for d in body(clash)["error"]["details"]] == ["Idempotency-Key"]
    assert len(gateway.asked) == 1


def test_the_document_takes_each_services_published_inputs(gateway):
    document = body(gateway.request("openapi", "GET", "/api/v1/openapi.json"))
    assert {"Report", "Reporter", "Search", "Stats", "Notify", "Audience"} <= set(document["components"]["schemas"])
    operations = {(method, path) for path, methods in document["paths"].items() for method in methods}
    assert ("post", "/api/v1/notices") in operations and ("get", "/api/v1/cases") in operations
    posted = document["paths"]["/api/v1/cases"]["post"]
    assert {p["name"] for p in posted["parameters"]} == {"Idempotency-Key"}

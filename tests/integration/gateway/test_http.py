"""The JSON API over real HTTP, as another system calls it: the gateway's routes, its keys and
its answers, with cases and rosters behind it on the real broker and database."""

import amqp
import requests

from tests.integration.gateway.conftest import COMMUNITY

UNIT = "金昌花园/2栋/1单元"


def report(unit_id: str, **extra) -> dict:
    return {"channel": "online", "reporter": {"name": "王大爷", "phone": "13900001111"}, "unit_id": unit_id,
            "category": "drains", "description": "2栋下水道堵塞，污水外溢", **extra}


def test_a_report_over_http_is_a_case_read_back_at_its_location(gateway_url, office_key, place, cases):
    headers = {"X-API-Key": office_key}
    made = requests.post(f"{gateway_url}/api/v1/cases", json=report(place(UNIT)), headers=headers, timeout=20)
    assert made.status_code == 201, made.text
    case = made.json()
    assert made.headers["Location"] == f"/api/v1/cases/{case['case_id']}"
    read = requests.get(gateway_url + made.headers["Location"], headers=headers, timeout=20)
    assert read.status_code == 200
    assert read.json()["case_id"] == case["case_id"] and read.json()["state"] == "reported"
    assert read.json()["reporter"]["phone"] == "13900001111"  # a secretary's key: unmasked, as for a secretary
    assert read.json()["timeline"][0]["actor"]["who"] == "district-cases"


def test_a_key_below_the_office_sees_phone_numbers_masked(gateway_url, gateway_rpc, office_key, place):
    made = requests.post(f"{gateway_url}/api/v1/cases", json=report(place(UNIT)),
                         headers={"X-API-Key": office_key}, timeout=20).json()
    leader_key = gateway_rpc.issue_key(name="楼栋长小程序", who="building-app", role="building_leader",
                                       node_id=place(COMMUNITY))["api_key"]
    read = requests.get(f"{gateway_url}/api/v1/cases/{made['case_id']}", headers={"X-API-Key": leader_key},
                        timeout=20)
    assert read.status_code == 200, read.text
    assert read.json()["reporter"]["phone"] == "139****1111"


def test_no_key_a_wrong_key_bad_input_and_a_missing_case_each_get_their_status(gateway_url, office_key, place):
    url = f"{gateway_url}/api/v1/cases"
    assert requests.post(url, json=report(place(UNIT)), timeout=20).status_code == 401
    wrong = requests.post(url, json=report(place(UNIT)), headers={"X-API-Key": "lk_wrong"}, timeout=20)
    assert wrong.status_code == 401
    bad = requests.post(url, json=report(place(UNIT), category="Drains!"), headers={"X-API-Key": office_key},
                        timeout=20)
    assert bad.status_code == 400
    assert [d["field"] for d in bad.json()["error"]["details"]] == ["category"]
    missing = requests.get(f"{url}/case_nothing", headers={"X-API-Key": office_key}, timeout=20)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_a_revoked_key_is_refused_at_once(gateway_url, gateway_rpc, office_key):
    headers = {"X-API-Key": office_key}
    assert requests.get(f"{gateway_url}/api/v1/cases", headers=headers, timeout=20).status_code == 200
    [key] = gateway_rpc.list_keys()["keys"]
    gateway_rpc.revoke_key(key_id=key["key_id"])
    assert requests.get(f"{gateway_url}/api/v1/cases", headers=headers, timeout=20).status_code == 401


def test_stats_and_the_responsible_chain_are_the_services_own_answers(gateway_url, office_key, place, cases,
                                                                     rosters):
    headers = {"X-API-Key": office_key}
    community = place(COMMUNITY)
    requests.post(f"{gateway_url}/api/v1/cases", json=report(place(UNIT)), headers=headers, timeout=20)
    stats = requests.get(f"{gateway_url}/api/v1/stats/{community}", headers=headers, timeout=20)
    assert stats.status_code == 200
    assert stats.json()["totals"] == cases.stats(node_id=community)["totals"]
    assert stats.json()["totals"]["received"] >= 1
    chain = requests.get(f"{gateway_url}/api/v1/units/{place(UNIT)}/chain", headers=headers, timeout=20)
    assert chain.status_code == 200
    assert [level["unit_id"] for level in chain.json()["chain"]] == [
        level["unit_id"] for level in rosters.responsible_chain(unit_id=place(UNIT))]


def test_search_takes_its_query_string_typed(gateway_url, office_key, place):
    headers = {"X-API-Key": office_key}
    for _ in range(3):
        requests.post(f"{gateway_url}/api/v1/cases", json=report(place(UNIT)), headers=headers, timeout=20)
    found = requests.get(f"{gateway_url}/api/v1/cases?node_id={place(COMMUNITY)}&state=reported&limit=2",
                         headers=headers, timeout=20)
    assert found.status_code == 200, found.text
    assert found.json()["total"] == 3 and len(found.json()["items"]) == 2
    refused = requests.get(f"{gateway_url}/api/v1/cases?limit=many", headers=headers, timeout=20)
    assert refused.status_code == 400
    assert [d["field"] for d in refused.json()["error"]["details"]] == ["limit"]


def test_the_document_and_its_page_are_served(documented_gateway_url):
    gateway_url = documented_gateway_url
    document = requests.get(f"{gateway_url}/api/v1/openapi.json", timeout=20)
    assert document.status_code == 200
    spec = document.json()
    assert spec["openapi"].startswith("3.")
    assert spec["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Report"}
    assert "unit_id" in spec["components"]["schemas"]["Report"]["required"]
    page = requests.get(f"{gateway_url}/api/v1/docs", timeout=20)
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    script = requests.get(f"{gateway_url}/api/v1/docs/swagger-ui-bundle.js", timeout=20)
    assert script.status_code == 200 and len(script.content) > 100_000
    assert requests.get(f"{gateway_url}/api/v1/docs/..%2Fservice.py", timeout=20).status_code == 404


def test_a_notice_over_http_reaches_the_inbox_of_its_audience(documented_gateway_url, office_key, place, rosters):
    headers = {"X-API-Key": office_key, "Idempotency-Key": "water-notice-2026-12-02"}
    notice = {"to": [{"node_id": place(COMMUNITY), "role": "unit_leader", "below": True}], "template": "notice",
              "fields": {"title": "停水通知", "body": "明日9时至12时停水"}}
    sent = requests.post(f"{documented_gateway_url}/api/v1/notices", json=notice, headers=headers, timeout=20)
    assert sent.status_code == 201, sent.text
    again = requests.post(f"{documented_gateway_url}/api/v1/notices", json=notice, headers=headers, timeout=20)
    assert again.json()["notice_id"] == sent.json()["notice_id"]  # a retry: the same notice, sent once
    status = requests.get(documented_gateway_url + sent.headers["Location"], headers=headers, timeout=20)
    assert status.status_code == 200 and status.json()["notice_id"] == sent.json()["notice_id"]



def test_requests_share_the_gateways_proxies_and_open_no_connection_to_the_broker(gateway_url, office_key,
                                                                                   monkeypatch):
    """The gateway runs in this process: every AMQP connection it opens goes through py-amqp's
    `Connection.connect`, counted here while 100 requests are served."""
    headers = {"X-API-Key": office_key}
    for _ in range(10):  # warm: the proxies' reply queue and the publishers' pooled connections made
        requests.get(f"{gateway_url}/api/v1/cases/case_warm", headers=headers, timeout=20)
    opened = []
    connect = amqp.Connection.connect

    def counted(connection, *args, **kwargs):
        opened.append(connection)
        return connect(connection, *args, **kwargs)

    monkeypatch.setattr(amqp.Connection, "connect", counted)
    with requests.Session() as session:
        codes = [session.get(f"{gateway_url}/api/v1/cases/case_{n}", headers=headers, timeout=20).status_code
                 for n in range(100)]
    print(f"AMQP connections opened while 100 requests were served: {len(opened)}")
    assert codes == [404] * 100
    assert opened == []

"""The JSON platform adapter against the 12345 simulator, over real HTTP: the simulator runs as
its own process (`python -m services.hotline.simulator --port 0`), reset before each test and
steered through its control API."""

import contextlib
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from services.hotline.platform import Call, PlatformDown, PlatformMisconfigured, PlatformRefused
from services.hotline.platforms.json_http import JsonHttpPlatform

ROOT = Path(__file__).resolve().parents[3]
CHINA = timezone(timedelta(hours=8))
NO = "JY2026120100001"
SIGNED = datetime(2026, 12, 1, 10, 0, tzinfo=CHINA)
TICKET = {"ticket_no": NO, "received_at": "2026-12-01T09:12:00+08:00", "request_type": "投诉", "urgency": "一般",
          "citizen_name": "孙女士", "citizen_phone": "13812345678",
          "content": "有单位在距离来电人自建房约3米处安装空调外机，噪音大且热风直吹，希望移至别处。",
          "address": "新河巷4号", "category": "噪声扰民", "area_code": "JY", "deadline": "2026-12-08T18:00:00+08:00"}


class Simulator:
    """The simulator's control API."""

    def __init__(self, url: str):
        self.url = url

    def post(self, path: str, body: object = None) -> dict:
        answer = requests.post(self.url + path, json={} if body is None else body, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def state(self) -> dict:
        return requests.get(self.url + "/_sim/state", timeout=5).json()

    def ticket(self, ticket_no: str = NO) -> dict:
        return self.state()["tickets"][ticket_no]


@contextlib.contextmanager
def running_simulator(*options: str):
    """The simulator as its own process on a free port; its base URL."""
    process = subprocess.Popen([sys.executable, "-m", "services.hotline.simulator", "--port", "0", *options],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        started = re.fullmatch(r"hotline simulator on (http://\S+)\n", process.stdout.readline())
        assert started, "the simulator did not start"
        yield started[1]
    finally:
        process.terminate()
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def simulator_url():
    with running_simulator() as url:
        yield url


@pytest.fixture
def simulator(simulator_url):
    simulator = Simulator(simulator_url)
    simulator.post("/_sim/reset")
    return simulator


@pytest.fixture
def platform(simulator):
    adapter = JsonHttpPlatform("city", {"base_url": f"{simulator.url}/api", "timeout_seconds": 2})
    yield adapter
    adapter.close()


def call(key: str, ticket_no: str = NO, at: datetime = SIGNED, **fields) -> Call:
    return Call(key=key, ticket_no=ticket_no, at=at, **fields)


def fetch_all(platform: JsonHttpPlatform, limit: int = 100) -> list[dict]:
    records, cursor = [], None
    for _ in range(1000):
        page = platform.fetch(cursor, limit)
        records += page.records
        cursor = page.cursor
        if not page.more:
            return records
    raise AssertionError("the feed never ended")


def signed_ticket(simulator: Simulator, platform: JsonHttpPlatform, **changes) -> None:
    simulator.post("/_sim/tickets", {"tickets": [{**TICKET, **changes}]})
    platform.sign(call("sign-1"))


# The feed

def test_fetch_follows_the_cursor_page_by_page_until_nothing_more(simulator, platform):
    numbers = simulator.post("/_sim/generate", {"count": 1200, "seed": 7})["tickets"]
    pages, cursor = [], None

    while not pages or pages[-1].more:
        pages.append(platform.fetch(cursor, 500))
        cursor = pages[-1].cursor

    assert [len(page.records) for page in pages] == [500, 500, 200]
    assert [record["ticket_no"] for page in pages for record in page.records] == numbers
    assert platform.fetch(cursor, 500).records == []


def test_a_ticket_item_becomes_a_ticket_record_with_its_citizen(simulator, platform):
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})

    [record] = fetch_all(platform)

    assert record == {"kind": "ticket", "ticket_no": NO, "revision": 1, "received_at": "2026-12-01T09:12:00+08:00",
                      "request_type": "投诉", "urgency": "一般", "citizen": {"name": "孙女士", "phone": "13812345678"},
                      "content": TICKET["content"], "address": "新河巷4号", "category": "噪声扰民", "area_code": "JY",
                      "deadline": "2026-12-08T18:00:00+08:00"}


def test_a_missing_phone_stays_missing_for_the_sync_to_judge(simulator, platform):
    simulator.post("/_sim/tickets", {"tickets": [{k: v for k, v in TICKET.items() if k != "citizen_phone"}]})

    [record] = fetch_all(platform)

    assert record["kind"] == "ticket" and record["citizen"] == {"name": "孙女士"}


def test_an_amended_ticket_is_listed_again_with_the_next_revision(simulator, platform):
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})
    simulator.post("/_sim/tickets", {"tickets": [{"ticket_no": NO, "content": "补充：外机晚上十点后仍在运转。"}]})

    first, second = fetch_all(platform)

    assert (first["revision"], second["revision"]) == (1, 2)
    assert second["content"] == "补充：外机晚上十点后仍在运转。" and second["address"] == "新河巷4号"


def test_duplicates_switched_on_list_every_change_again_and_pages_overlap(simulator, platform):
    numbers = simulator.post("/_sim/generate", {"count": 30})["tickets"]
    simulator.post("/_sim/behaviour", {"duplicates": True})

    first = platform.fetch(None, 10)
    second = platform.fetch(first.cursor, 10)
    listed = [record["ticket_no"] for record in fetch_all(platform, 10)]

    assert {record["ticket_no"] for record in first.records} & {record["ticket_no"] for record in second.records}
    assert set(listed) == set(numbers)
    assert all(listed.count(number) >= 2 for number in numbers)


def test_reorder_switched_on_sends_an_earlier_revision_after_the_newer_one(simulator, platform):
    simulator.post("/_sim/generate", {"count": 5})
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})
    simulator.post("/_sim/tickets", {"tickets": [{"ticket_no": NO, "urgency": "紧急"}]})
    simulator.post("/_sim/behaviour", {"reorder": True})

    revisions = [record["revision"] for record in fetch_all(platform, 50) if record["ticket_no"] == NO]

    assert 1 in revisions and 2 in revisions
    assert revisions.index(2) < len(revisions) - 1 - revisions[::-1].index(1)


@pytest.mark.parametrize("item", ["工单", 42, None, ["ticket"], {"type": "memo"}, {"ticket_no": NO},
                                  {"type": ["ticket"]}, {"type": {"kind": "survey"}}])
def test_an_item_that_cannot_be_read_is_unreadable_and_the_page_still_comes(simulator, platform, item):
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})
    simulator.post("/_sim/malformed", {"item": item})
    simulator.post("/_sim/tickets", {"tickets": [{**TICKET, "ticket_no": "JY2026120100002"}]})

    first, unreadable, last = fetch_all(platform)

    assert (first["kind"], first["ticket_no"]) == ("ticket", NO)
    assert unreadable["kind"] == "unreadable" and unreadable["raw"] == item and unreadable["reason"]
    assert (last["kind"], last["ticket_no"]) == ("ticket", "JY2026120100002")


def test_a_survey_and_a_rework_appear_in_the_feed_as_records(simulator, platform):
    signed_ticket(simulator, platform)
    platform.reply(call("reply-1", result="已协调将空调外机移至楼顶。"))
    survey = simulator.post(f"/_sim/tickets/{NO}/survey", {"satisfied": False, "resolved": False, "comment": "还在响"})
    rework = simulator.post(f"/_sim/tickets/{NO}/rework", {"reason": "市民不满意，外机仍未移走"})

    records = fetch_all(platform)

    assert records[1:] == [
        {"kind": "survey", "update_id": survey["update_id"], "ticket_no": NO, "at": survey["at"],
         "satisfied": False, "resolved": False, "comment": "还在响"},
        {"kind": "rework", "update_id": rework["update_id"], "ticket_no": NO, "at": rework["at"],
         "reason": "市民不满意，外机仍未移走"}]
    assert platform.tickets(None)[0]["state"] == "reworking"


# Outbound calls

def test_sign_then_reply_leaves_the_ticket_replied_once(simulator, platform):
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})

    signed = platform.sign(call("sign-1"))
    replied = platform.reply(call("reply-1", at=SIGNED + timedelta(days=1), result="已协调移走空调外机。"))

    assert signed["state"] == "signed" and replied["state"] == "replied"
    assert platform.tickets(None) == [{"ticket_no": NO, "state": "replied", "revision": 1,
                                       "deadline": "2026-12-08T18:00:00+08:00", "replies": 1}]


def test_a_ticket_returned_within_the_window_is_returned(simulator, platform):
    signed_ticket(simulator, platform)

    answer = platform.return_ticket(call("return-1", at=SIGNED + timedelta(hours=3), reason="不属于本社区辖区"))

    assert answer["state"] == "returned" and simulator.ticket()["returns"] == 1


def test_an_extension_is_granted_once_before_the_deadline_then_denied(simulator, platform):
    signed_ticket(simulator, platform)

    first = platform.extend(call("extend-1", reason="需协调产权单位", working_days=3))
    second = platform.extend(call("extend-2", reason="仍需协调", working_days=2))

    assert first == {"granted": True, "deadline": "2026-12-11T18:00:00+08:00"}
    assert second["granted"] is False and second["deadline"] == first["deadline"] and second["reason"]


def test_an_extension_asked_after_the_deadline_is_denied(simulator, platform):
    signed_ticket(simulator, platform)

    answer = platform.extend(call("extend-1", at=SIGNED + timedelta(days=10), reason="需协调", working_days=3))

    assert answer["granted"] is False and answer["deadline"] == TICKET["deadline"]


def test_a_call_repeated_with_the_same_key_is_applied_once(simulator, platform):
    signed_ticket(simulator, platform)

    first = platform.reply(call("reply-1", result="已处理。"))
    again = platform.reply(call("reply-1", result="已处理。"))

    assert again == first
    assert (simulator.ticket()["replies"], simulator.ticket()["repeats"]) == (1, 1)


def test_a_reply_with_a_new_key_after_one_was_applied_counts_as_a_second_reply(simulator, platform):
    signed_ticket(simulator, platform)

    platform.reply(call("reply-1", result="已处理。"))
    platform.reply(call("reply-2", result="已处理。"))

    assert simulator.ticket()["replies"] == 2
    assert platform.tickets(None)[0]["replies"] == 2


@pytest.mark.parametrize("make_call, refusal", [
    (lambda platform: platform.sign(call("sign-x", ticket_no="JY2026129999999")), "HTTP 404"),
    (lambda platform: platform.reply(call("reply-x", result="已处理。")), "not signed"),
    (lambda platform: platform.return_ticket(call("return-x", reason="不属于本辖区")), "not signed"),
])
def test_a_call_the_platform_will_not_take_is_refused(simulator, platform, make_call, refusal):
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})

    with pytest.raises(PlatformRefused, match=refusal):
        make_call(platform)


def test_a_return_past_the_return_window_is_refused(simulator, platform):
    signed_ticket(simulator, platform)

    with pytest.raises(PlatformRefused, match="return window"):
        platform.return_ticket(call("return-1", at=SIGNED + timedelta(hours=49), reason="不属于本辖区"))

    assert simulator.ticket()["state"] == "signed"


# When the platform is unwell

EVERY_METHOD = {
    "fetch": lambda platform: platform.fetch(None, 10),
    "sign": lambda platform: platform.sign(call("sign-1")),
    "return_ticket": lambda platform: platform.return_ticket(call("return-1", reason="不属于本辖区")),
    "extend": lambda platform: platform.extend(call("extend-1", reason="需协调", working_days=2)),
    "reply": lambda platform: platform.reply(call("reply-1", result="已处理。")),
    "tickets": lambda platform: platform.tickets(None),
}


@pytest.mark.parametrize("mode", ["error", "refuse"])
def test_during_an_outage_every_method_is_down_and_works_again_afterwards(simulator, platform, mode):
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})
    simulator.post("/_sim/outage", {"seconds": 60, "mode": mode})

    for name, method in EVERY_METHOD.items():
        with pytest.raises(PlatformDown):
            method(platform)
        assert simulator.state()["calls_during_outage"] >= 1, name
    simulator.post("/_sim/outage", {"seconds": 0})

    assert simulator.state()["calls_during_outage"] == len(EVERY_METHOD)
    assert platform.sign(call("sign-1"))["state"] == "signed"
    assert platform.fetch(None, 10).records[0]["ticket_no"] == NO


def test_a_platform_slower_than_the_timeout_is_down_and_a_retry_with_the_key_is_absorbed(simulator):
    simulator.post("/_sim/tickets", {"tickets": [TICKET]})
    simulator.post("/_sim/behaviour", {"delay_ms": 600})
    impatient = JsonHttpPlatform("city", {"base_url": f"{simulator.url}/api", "timeout_seconds": 0.2})
    started = time.monotonic()

    with pytest.raises(PlatformDown, match="Timeout"):
        impatient.sign(call("sign-1"))
    elapsed = time.monotonic() - started
    while simulator.ticket()["signs"] == 0 and time.monotonic() - started < 3:
        time.sleep(0.05)
    simulator.post("/_sim/behaviour", {"delay_ms": 0})
    impatient.sign(call("sign-1"))

    assert elapsed < 0.55
    assert (simulator.ticket()["signs"], simulator.ticket()["repeats"]) == (1, 1)


def test_answers_of_a_failing_platform_are_down(simulator, platform):
    simulator.post("/_sim/behaviour", {"error_rate": 1.0})

    with pytest.raises(PlatformDown, match="HTTP 500"):
        platform.fetch(None, 10)


def test_tickets_since_lists_only_the_tickets_sent_since(simulator, platform):
    numbers = simulator.post("/_sim/generate", {"count": 20, "received_at": "2026-12-01T08:00:00+08:00"})["tickets"]
    received = {record["ticket_no"]: record["received_at"] for record in fetch_all(platform)}
    since = datetime.fromisoformat(received[numbers[10]])

    listed = platform.tickets(since.astimezone(UTC))

    assert [one["ticket_no"] for one in listed] == numbers[10:]
    assert all(one["state"] == "received" and one["revision"] == 1 and one["replies"] == 0 for one in listed)


def test_a_simulator_started_with_a_token_takes_that_token_only():
    with running_simulator("--token", "s3cret") as url:
        Simulator(url).post("/_sim/tickets", {"tickets": [TICKET]})
        trusted = JsonHttpPlatform("city", {"base_url": f"{url}/api", "token": "s3cret"})
        stranger = JsonHttpPlatform("city", {"base_url": f"{url}/api", "token": "guess"})

        listed = trusted.tickets(None)
        with pytest.raises(PlatformRefused, match="HTTP 401"):
            stranger.tickets(None)

    assert [one["ticket_no"] for one in listed] == [NO]


# Settings and the answers the simulator does not give

@pytest.mark.parametrize("settings, field", [
    ({}, "base_url"),
    ({"base_url": "127.0.0.1:8031/api"}, "base_url"),
    ({"base_url": "http://127.0.0.1:8031/api", "timeout_seconds": "soon"}, "timeout_seconds"),
])
def test_bad_settings_are_named(settings, field):
    with pytest.raises(PlatformMisconfigured) as raised:
        JsonHttpPlatform("city", settings)

    assert raised.value.field == f"PLATFORMS.city.{field}"


class Canned(requests.adapters.BaseAdapter):
    """A hand-written transport answering every request with one status and body."""

    def __init__(self, status: int, body: bytes):
        super().__init__()
        self.status, self.body, self.sent = status, body, []

    def send(self, request, **kwargs):
        self.sent.append(request)
        response = requests.Response()
        response.status_code, response._content = self.status, self.body
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


@pytest.mark.parametrize("status, body, error", [
    (408, b'{"error": "request timeout"}', PlatformDown),
    (429, b'{"error": "too many requests"}', PlatformDown),
    (502, b"<html>bad gateway</html>", PlatformDown),
    (200, b"<html>maintenance</html>", PlatformDown),
    (200, b'{"changes": "none"}', PlatformDown),
    (302, b"", PlatformDown),
    (401, b'{"error": "bad token"}', PlatformRefused),
    (422, b'{"error": "Idempotency-Key reused"}', PlatformRefused),
])
def test_answers_map_to_down_or_refused(status, body, error):
    platform = JsonHttpPlatform("city", {"base_url": "http://canned.test/api", "token": "s3cret"})
    transport = Canned(status, body)
    platform.session.mount("http://canned.test/", transport)

    with pytest.raises(error):
        platform.fetch(None, 10)

    assert transport.sent[0].headers["Authorization"] == "Bearer s3cret"


def test_a_refusal_carries_the_platforms_message():
    platform = JsonHttpPlatform("city", {"base_url": "http://canned.test/api"})
    platform.session.mount("http://canned.test/", Canned(409, '{"error": "工单已办结"}'.encode()))

    with pytest.raises(PlatformRefused, match="HTTP 409: 工单已办结"):
        platform.reply(call("reply-1", result="已处理。"))

"""The simulator's `--state-file`: stopped (SIGTERM) or killed (SIGKILL) and started again on the
same file, it still answers the cursors, tickets, counts and Idempotency-Keys its clients hold;
`--seed-demo` fills only an empty platform; an unreadable file stops the start, named."""

import contextlib
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from services.hotline.simulator.stand_in import DEFAULT_PORT, DEMO_TICKETS, stand_in

ROOT = Path(__file__).resolve().parents[3]
NO, OTHER = "JY2026120100001", "JY2026120100002"
TICKETS = [{"ticket_no": NO, "received_at": "2026-12-01T09:12:00+08:00", "request_type": "投诉", "urgency": "一般",
            "citizen_name": "王先生", "citizen_phone": "13812345678",
            "content": "隔壁商铺空调外机距住宅仅3米，噪音大、热风直吹，夜间无法入睡",
            "address": "雨花区左家塘街道嘉园社区金昌花园2栋", "category": "噪声扰民", "area_code": "JY",
            "deadline": "2026-12-08T18:00:00+08:00"},
           {"ticket_no": OTHER, "received_at": "2026-12-01T09:40:00+08:00", "request_type": "求助",
            "urgency": "紧急", "citizen_name": "李女士", "citizen_phone": "13974120356",
            "content": "金昌花园3栋1单元下水道堵塞，污水从一楼地漏反冒",
            "address": "雨花区左家塘街道嘉园社区金昌花园3栋", "category": "下水道堵塞", "area_code": "JY",
            "deadline": "2026-12-02T18:00:00+08:00"}]
SIGN = {"signed_at": "2026-12-01T10:00:00+08:00"}


class Simulator:
    def __init__(self, process: subprocess.Popen, url: str):
        self.process, self.url = process, url

    def post(self, path: str, body: object = None, key: str | None = None) -> dict:
        headers = {"Idempotency-Key": key} if key else {}
        answer = requests.post(self.url + path, json={} if body is None else body, headers=headers, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def changes(self, cursor: str | None = None) -> requests.Response:
        return requests.get(f"{self.url}/api/changes", params={"cursor": cursor} if cursor else {}, timeout=5)

    def state(self) -> dict:
        return requests.get(self.url + "/_sim/state", timeout=5).json()


@contextlib.contextmanager
def simulator_on(state_file: Path, *options: str, stop: signal.Signals = signal.SIGTERM):
    process = subprocess.Popen([sys.executable, "-m", "services.hotline.simulator", "--port", "0",
                                "--state-file", str(state_file), *options],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        started = re.fullmatch(r"hotline simulator on (http://\S+)\n", process.stdout.readline())
        assert started, process.communicate(timeout=5)[1]
        yield Simulator(process, started[1])
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        process.communicate(timeout=5)


@pytest.fixture
def state_file(tmp_path) -> Path:
    return tmp_path / "hotline-simulator.json"


def test_a_restart_keeps_the_cursor_the_tickets_their_counts_and_the_idempotency_keys(state_file):
    with simulator_on(state_file) as first:
        first.post("/_sim/tickets", {"tickets": TICKETS})
        signed = first.post(f"/api/tickets/{NO}/sign", SIGN, key="sign-1")
        first.post(f"/api/tickets/{NO}/extension", {"working_days": 3, "reason": "需协调产权单位",
                                                     "asked_at": "2026-12-02T09:00:00+08:00"}, key="extend-1")
        first.post("/_sim/behaviour", {"return_window_hours": 24})
        cursor = first.changes().json()["cursor"]
        before = first.state()["tickets"]

    with simulator_on(state_file) as second:
        page = second.changes(cursor)
        repeat = second.post(f"/api/tickets/{NO}/sign", {"signed_at": "2026-12-01T11:00:00+08:00"}, key="sign-1")
        after = second.state()

    assert page.status_code == 200 and page.json() == {"changes": [], "cursor": cursor, "more": False}
    assert after["tickets"] == {**before, NO: {**before[NO], "repeats": 1}}
    assert before[NO]["state"] == "signed" and before[NO]["extensions_granted"] == 1
    assert repeat == signed
    assert after["behaviour"]["return_window_hours"] == 24
    assert after["requests"] == {"GET /api/changes": 1, "POST /api/tickets/{ticket_no}/sign": 1}


def test_the_state_file_is_replaced_whole_with_no_temporary_file_left(state_file):
    with simulator_on(state_file) as simulator:
        simulator.post("/_sim/tickets", {"tickets": TICKETS})

    assert [path.name for path in state_file.parent.iterdir()] == [state_file.name]
    assert '"王先生"' in state_file.read_text(encoding="utf-8")


def test_seed_demo_fills_an_empty_platform_once(state_file):
    with simulator_on(state_file, "--seed-demo") as first:
        first.post(f"/api/tickets/{NO}/sign", SIGN, key="sign-1")

    with simulator_on(state_file, "--seed-demo") as second:
        changes = second.changes().json()["changes"]
        tickets = second.state()["tickets"]

    assert [item["ticket_no"] for item in changes] == [ticket["ticket_no"] for ticket in DEMO_TICKETS]
    assert sorted(tickets) == ["JY2026120100001", "JY2026120100002", "JY2026120100003", "LF2026120100001"]
    assert tickets[NO]["state"] == "signed"
    assert changes[0]["citizen_name"] == "王先生" and changes[0]["address"] == "雨花区左家塘街道嘉园社区金昌花园2栋"
    assert changes[-1]["area_code"] == "LF"


def test_a_platform_with_tickets_is_not_seeded(state_file):
    with simulator_on(state_file) as first:
        first.post("/_sim/tickets", {"tickets": TICKETS[1:]})

    with simulator_on(state_file, "--seed-demo") as second:
        tickets = second.state()["tickets"]

    assert sorted(tickets) == [OTHER]


@pytest.mark.parametrize("content", ["{not json", '{"format": 1, "log": []}', '["a list"]', ""])
def test_a_corrupt_state_file_stops_the_start_naming_the_file(state_file, content):
    state_file.write_text(content, encoding="utf-8")

    started = subprocess.run([sys.executable, "-m", "services.hotline.simulator", "--port", "0",
                              "--state-file", str(state_file)], cwd=ROOT, capture_output=True, text=True, timeout=10)

    assert started.returncode != 0 and started.stdout == ""
    assert str(state_file) in started.stderr
    assert state_file.read_text(encoding="utf-8") == content


def test_a_kill_loses_nothing_answered_a_second_before(state_file):
    with simulator_on(state_file, stop=signal.SIGKILL) as first:
        first.post("/_sim/tickets", {"tickets": TICKETS})
        signed = first.post(f"/api/tickets/{NO}/sign", SIGN, key="sign-1")
        cursor = first.changes().json()["cursor"]
        time.sleep(1.1)

    with simulator_on(state_file) as second:
        page = second.changes(cursor)
        repeat = second.post(f"/api/tickets/{NO}/sign", SIGN, key="sign-1")
        tickets = second.state()["tickets"]

    assert page.status_code == 200 and page.json()["changes"] == []
    assert repeat == signed
    assert sorted(tickets) == [NO, OTHER] and tickets[NO]["state"] == "signed" and tickets[NO]["signs"] == 1


def test_the_stand_in_keeps_its_state_in_the_data_directory_and_seeds_the_demo():
    started = stand_in(DEFAULT_PORT, "/srv/linli/data")

    assert started == {"command": [sys.executable, "-m", "services.hotline.simulator", "--port", "8041",
                                   "--state-file", "/srv/linli/data/hotline-simulator.json", "--seed-demo"],
                       "environment": {"HOTLINE_JSON_URL": "http://127.0.0.1:8041/api"}}

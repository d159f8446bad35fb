"""Start the local 12345 platform (`python -m services.hotline.simulator`) as a process and talk
to its control API (services/hotline/PROTOCOL.md, "The simulator")."""

import os
import subprocess
import sys
from pathlib import Path

import requests

from shared.stack.ports import free_port, stop_group, wait_until

ROOT = Path(__file__).resolve().parents[1]


class Simulator:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.url}/api"
        self.process: subprocess.Popen | None = None

    def start(self, *options: str) -> "Simulator":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.hotline.simulator", "--port", str(self.port), *options],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: requests.get(f"{self.url}/_sim/state", timeout=2).ok, 20, "the hotline simulator")
        return self

    def stop(self) -> None:
        stop_group(self.process, grace=5)

    def _post(self, path: str, body: dict) -> dict:
        answer = requests.post(f"{self.url}/_sim/{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def reset(self) -> None:
        self._post("reset", {})

    def add(self, *tickets: dict) -> dict:
        return self._post("tickets", {"tickets": list(tickets)})

    def generate(self, count: int, **options) -> list[str]:
        return self._post("generate", {"count": count, **options})["tickets"]

    def behave(self, **switches) -> dict:
        return self._post("behaviour", switches)

    def outage(self, seconds: float, mode: str = "error") -> dict:
        return self._post("outage", {"seconds": seconds, "mode": mode})

    def survey(self, ticket_no: str, satisfied: bool, comment: str = "", resolved: bool | None = None) -> dict:
        body = {"satisfied": satisfied, "comment": comment, "resolved": satisfied if resolved is None else resolved}
        return self._post(f"tickets/{ticket_no}/survey", body)

    def rework(self, ticket_no: str, reason: str) -> dict:
        return self._post(f"tickets/{ticket_no}/rework", {"reason": reason})

    def malformed(self, item) -> dict:
        return self._post("malformed", {"item": item})

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sim/state", timeout=30).json()

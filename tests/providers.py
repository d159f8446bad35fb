"""Start `tests.endpoints` (the local SMS gateway, WeCom, DingTalk and SMTP stand-ins) as a
process and talk to its control API."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import requests

from shared.stack.ports import free_port, stop_group, wait_until

ROOT = Path(__file__).resolve().parents[1]
DINGTALK_SECRET = "SEClocal0dingtalk0secret"


class Providers:
    def __init__(self):
        self.http_port, self.smtp_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Providers":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.endpoints", "--http-port", str(self.http_port), "--smtp-port",
             str(self.smtp_port), "--dingtalk-secret", DINGTALK_SECRET],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _listening(self.http_port) and _listening(self.smtp_port), 20, "the local providers")
        return self

    def stop(self) -> None:
        stop_group(self.process, grace=5)

    def received(self, path: str | None = None) -> list[dict]:
        everything = requests.get(f"{self.url}/_control/requests", timeout=5).json()
        return [r for r in everything if path is None or r["path"] == path]

    def fail(self, path: str, *answers, forever=False) -> None:
        body = {"path": path, "forever": answers[0]} if forever else {"path": path, "answers": list(answers)}
        requests.post(f"{self.url}/_control/fail", json=body, timeout=5).raise_for_status()

    def recover(self, path: str) -> None:
        requests.post(f"{self.url}/_control/fail", json={"path": path, "forever": None}, timeout=5)

    def delay(self, path: str, seconds: float) -> None:
        requests.post(f"{self.url}/_control/delay", json={"path": path, "seconds": seconds}, timeout=5)

    def env(self) -> dict[str, str]:
        """The notifications service's environment (its `config.yml`) sending everything here."""
        return {"SMS_ENABLED": "true", "SMS_URL": f"{self.url}/sms", "SMS_TOKEN": "sms-token",
                "WECOM_ROBOT_ENABLED": "true", "WECOM_ROBOT_WEBHOOK": f"{self.url}/cgi-bin/webhook/send?key=robot-key",
                "DINGTALK_ROBOT_ENABLED": "true", "DINGTALK_ROBOT_WEBHOOK": f"{self.url}/robot/send?access_token=t",
                "DINGTALK_ROBOT_SECRET": DINGTALK_SECRET, "EMAIL_ENABLED": "true", "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(self.smtp_port), "SMTP_SENDER": "linli@example.com"}

    def refuse(self, *recipients: str) -> None:
        requests.post(f"{self.url}/_control/refuse", json={"recipients": list(recipients)}, timeout=5)

    def reset(self) -> None:
        requests.post(f"{self.url}/_control/reset", json={}, timeout=5).raise_for_status()

    def channels(self) -> dict:
        """`CHANNELS` config sending everything here."""
        return {"sms": {"url": f"{self.url}/sms", "token": "sms-token"},
                "wecom_robot": {"webhook": f"{self.url}/cgi-bin/webhook/send?key=robot-key"},
                "wecom_app": {"corp_id": "ww-linli", "secret": "app-secret", "agent_id": 1000002,
                              "api_base": self.url},
                "dingtalk_robot": {"webhook": f"{self.url}/robot/send?access_token=ding-token",
                                   "secret": DINGTALK_SECRET},
                "email": {"host": "127.0.0.1", "port": self.smtp_port, "sender": "linli@example.com"}}


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0

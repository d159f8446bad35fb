"""The DingTalk (钉钉) custom robot: a webhook into one group, signed with the robot's secret
(`timestamp` and `sign` = base64 of HMAC-SHA256 of "<timestamp>\\n<secret>", URL-encoded once),
@-mentioning the person by phone.

Settings: `webhook` (the robot's URL with its `access_token`), `secret` (the 加签 secret),
`timeout_seconds` (5), `per_minute` (20: DingTalk's limit for a robot)."""

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from services.notifications.channel import Outgoing, setting
from services.notifications.channels.webhooks import check_errcode, request_json

BUSY = {-1, 130101, 410100}  # system busy, sent too fast, flow control


def signature(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkRobot:
    name = "dingtalk_robot"
    address = None
    per_minute = 20

    def __init__(self, settings: Mapping):
        self.webhook = setting(settings, self.name, "webhook", required=True)
        self.secret = setting(settings, self.name, "secret")
        self.timeout = float(setting(settings, self.name, "timeout_seconds", 5))

    def send(self, outgoing: Outgoing) -> None:
        params = {}
        if self.secret:
            now = int(time.time() * 1000)
            params = {"timestamp": now, "sign": signature(self.secret, now)}  # requests encodes it once
        body = {"msgtype": "text", "text": {"content": outgoing.text},
                "at": {"atMobiles": [outgoing.phone] if outgoing.phone else [], "isAtAll": False}}
        check_errcode(request_json("POST", self.webhook, self.timeout, params=params, body=body), BUSY)

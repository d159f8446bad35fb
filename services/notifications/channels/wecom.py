"""WeChat Work (企业微信): the group robot (a webhook into one group chat, @-mentioning the person
by phone) and application messages (to the person's WeCom user id, with the corp's access token,
fetched and kept until it expires).

Robot settings: `webhook` (the robot's URL with its `key`), `timeout_seconds` (5), `per_minute`
(20: WeCom's limit for a robot). Application settings: `corp_id`, `secret`, `agent_id`,
`api_base` (https://qyapi.weixin.qq.com), `timeout_seconds` (5), `per_minute`."""

import time
from collections.abc import Mapping

import requests

from services.notifications.channel import Outgoing, TemporaryFailure, setting
from services.notifications.channels.webhooks import check_errcode, request_json

BUSY = {-1, 45009, 45033, 45047}  # system busy, API call limits
EXPIRED_TOKEN = {40001, 40014, 42001}


class WeComRobot:
    name = "wecom_robot"
    address = None
    per_minute = 20

    def __init__(self, settings: Mapping):
        self.webhook = setting(settings, self.name, "webhook", required=True)
        self.timeout = float(setting(settings, self.name, "timeout_seconds", 5))

    def send(self, outgoing: Outgoing) -> None:
        text = {"content": outgoing.text, **({"mentioned_mobile_list": [outgoing.phone]} if outgoing.phone else {})}
        check_errcode(request_json("POST", self.webhook, self.timeout, body={"msgtype": "text", "text": text}), BUSY)


class WeComApp:
    name = "wecom_app"
    address = "wecom_user"
    per_minute = 600

    def __init__(self, settings: Mapping):
        self.corp_id = setting(settings, self.name, "corp_id", required=True)
        self.secret = setting(settings, self.name, "secret", required=True)
        self.agent_id = int(setting(settings, self.name, "agent_id", required=True))
        self.api = str(setting(settings, self.name, "api_base", "https://qyapi.weixin.qq.com")).rstrip("/")
        self.timeout = float(setting(settings, self.name, "timeout_seconds", 5))
        self.session = requests.Session()
        self.token: tuple[str, float] | None = None  # (token, monotonic time it expires)

    def _token(self) -> str:
        if self.token and self.token[1] > time.monotonic():
            return self.token[0]
        answer = request_json("GET", f"{self.api}/cgi-bin/gettoken", self.timeout, session=self.session,
                              params={"corpid": self.corp_id, "corpsecret": self.secret})
        check_errcode(answer, BUSY)
        self.token = (answer["access_token"], time.monotonic() + int(answer.get("expires_in", 7200)) - 300)
        return self.token[0]

    def send(self, outgoing: Outgoing) -> str | None:
        body = {"touser": outgoing.address, "msgtype": "text", "agentid": self.agent_id,
                "text": {"content": outgoing.text}, "enable_duplicate_check": 1, "duplicate_check_interval": 1800}
        answer = request_json("POST", f"{self.api}/cgi-bin/message/send", self.timeout, session=self.session,
                              params={"access_token": self._token()}, body=body)
        if isinstance(answer, Mapping) and answer.get("errcode") in EXPIRED_TOKEN:
            self.token = None
            raise TemporaryFailure(f"errcode {answer['errcode']}: access token expired")
        check_errcode(answer, BUSY)
        return answer.get("msgid")

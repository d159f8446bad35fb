"""SMS through an HTTP gateway: `POST <url>` with the JSON `{"id", "to", "text"}` and the
header `Idempotency-Key: <id>` (a gateway that keeps the keys sends a repeat once); optionally
`Authorization: Bearer <token>`. A 2xx answer is success; its JSON `id`, if any, is the receipt.

Settings: `url` (required), `token`, `timeout_seconds` (5), `per_minute`, `signature` (the
【签名】 the text starts with)."""

from collections.abc import Mapping

from services.notifications.channel import Outgoing, setting
from services.notifications.channels.webhooks import request_json


class Sms:
    name = "sms"
    address = "phone"
    per_minute = 600

    def __init__(self, settings: Mapping):
        self.url = setting(settings, self.name, "url", required=True)
        self.token = setting(settings, self.name, "token")
        self.timeout = float(setting(settings, self.name, "timeout_seconds", 5))
        self.signature = setting(settings, self.name, "signature", "")

    def send(self, outgoing: Outgoing) -> str | None:
        headers = {"Idempotency-Key": outgoing.message_id,
                   **({"Authorization": f"Bearer {self.token}"} if self.token else {})}
        answer = request_json("POST", self.url, self.timeout, headers=headers,
                              body={"id": outgoing.message_id, "to": outgoing.address,
                                    "text": f"{self.signature}{outgoing.text}"})
        return str(answer.get("id")) if isinstance(answer, Mapping) and answer.get("id") else None

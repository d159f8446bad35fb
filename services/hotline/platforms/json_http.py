"""The reference adapter: a platform speaking the JSON protocol of services/hotline/PROTOCOL.md
over HTTP (`GET <base_url>/changes`, `POST <base_url>/tickets/<no>/<call>`, `GET
<base_url>/tickets`), each call with a timeout, each POST with its `Idempotency-Key`.

Settings (`PLATFORMS.<platform>`): `base_url` (required, e.g. `http://127.0.0.1:8031/api`),
`token` (sent as `Authorization: Bearer …`), `timeout_seconds` (10)."""

from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from services.hotline.platform import Call, Page, PlatformDown, PlatformMisconfigured, PlatformRefused, setting

TICKET_FIELDS = ("ticket_no", "revision", "received_at", "request_type", "urgency", "content", "address",
                 "category", "area_code", "deadline")
UPDATE_FIELDS = {"survey": ("update_id", "ticket_no", "at", "satisfied", "resolved", "comment"),
                 "rework": ("update_id", "ticket_no", "at", "reason")}
LISTED_FIELDS = ("ticket_no", "state", "revision", "deadline", "replies")
LATER = {408, 429}  # 4xx answers that mean "try again later"


class JsonHttpPlatform:
    name = "json_http"
    pulls = True

    def __init__(self, platform: str, settings: dict):
        self.platform = platform
        base_url = setting(settings, platform, "base_url", required=True)
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise PlatformMisconfigured(platform, "base_url", "must be an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout_of(platform, setting(settings, platform, "timeout_seconds", 10))
        self.session = requests.Session()
        token = setting(settings, platform, "token")
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    def fetch(self, cursor: str | None, limit: int) -> Page:
        params = {"limit": limit, **({"cursor": cursor} if cursor is not None else {})}
        answer = self._request("GET", "/changes", params=params)
        if not isinstance(answer, dict) or not isinstance(answer.get("changes"), list) \
                or not isinstance(answer.get("cursor"), str):
            raise PlatformDown(f"unexpected answer to GET /changes: {str(answer)[:200]}")
        return Page([translated(item) for item in answer["changes"]], answer["cursor"], bool(answer.get("more")))

    def sign(self, call: Call) -> dict:
        return self._call(call, "sign", {"signed_at": call.at.isoformat()})

    def return_ticket(self, call: Call) -> dict:
        return self._call(call, "return", {"reason": call.reason, "returned_at": call.at.isoformat()})

    def extend(self, call: Call) -> dict:
        answer = self._call(call, "extension", {"working_days": call.working_days, "reason": call.reason,
                                                "asked_at": call.at.isoformat()})
        if not isinstance(answer.get("granted"), bool):
            raise PlatformDown(f"unexpected answer to an extension: {str(answer)[:200]}")
        return {"granted": answer["granted"], "deadline": answer.get("deadline"),
                **({"reason": answer["reason"]} if answer.get("reason") else {})}

    def reply(self, call: Call) -> dict:
        return self._call(call, "reply", {"result": call.result, "replied_at": call.at.isoformat()})

    def tickets(self, since: datetime | None) -> list[dict]:
        answer = self._request("GET", "/tickets", params={"since": since.isoformat()} if since else None)
        if not isinstance(answer, dict) or not isinstance(answer.get("tickets"), list) \
                or not all(isinstance(one, dict) for one in answer["tickets"]):
            raise PlatformDown(f"unexpected answer to GET /tickets: {str(answer)[:200]}")
        return [{name: one.get(name) for name in LISTED_FIELDS} for one in answer["tickets"]]

    def _call(self, call: Call, action: str, body: dict) -> dict:
        path = f"/tickets/{quote(call.ticket_no, safe='')}/{action}"
        answer = self._request("POST", path, body={**call.extra, **body}, key=call.key)
        if not isinstance(answer, dict):
            raise PlatformDown(f"unexpected answer to POST {path}: {str(answer)[:200]}")
        return answer

    def _request(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None,
                 key: str | None = None) -> Any:
        """The decoded JSON answer, or PlatformDown / PlatformRefused."""
        try:
            answer = self.session.request(method, self.base_url + path, params=params, json=body, timeout=self.timeout,
                                          headers={"Idempotency-Key": key} if key else None, allow_redirects=False)
        except requests.RequestException as error:  # refused, reset, timed out, cut off mid-answer
            raise PlatformDown(f"{method} {path}: {type(error).__name__}: {error}") from None
        status = answer.status_code
        if status >= 500 or status in LATER:
            raise PlatformDown(f"{method} {path}: HTTP {status}: {message_of(answer)}")
        if status >= 400:
            raise PlatformRefused(f"HTTP {status}: {message_of(answer)}")
        if not 200 <= status < 300:
            raise PlatformDown(f"{method} {path}: unexpected HTTP {status} {answer.headers.get('Location', '')}")
        try:
            return answer.json()
        except ValueError:
            raise PlatformDown(f"{method} {path}: the answer is not JSON: {answer.text[:200]}") from None


def translated(item: Any) -> dict:
    """A change of the feed as a record (platform.py); one that cannot be read is `unreadable`."""
    try:
        if not isinstance(item, dict):
            raise ValueError(f"expected an object, got {type(item).__name__}")
        kind = item.get("type")
        if kind == "ticket":
            citizen = {name: item[f"citizen_{name}"] for name in ("name", "phone") if f"citizen_{name}" in item}
            return {"kind": "ticket", **picked(item, TICKET_FIELDS), "citizen": citizen}
        if kind in UPDATE_FIELDS:
            return {"kind": kind, **picked(item, UPDATE_FIELDS[kind])}
        raise ValueError(f"unknown type {kind!r}")
    except (KeyError, TypeError, ValueError) as error:
        return {"kind": "unreadable", "raw": item, "reason": str(error)}


def picked(item: dict, names: tuple[str, ...]) -> dict:
    """The fields the item has, as they are: one it lacks stays missing for the sync's check."""
    return {name: item[name] for name in names if name in item}


def message_of(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    return str(body.get("error") or body)[:200] if isinstance(body, dict) else str(body)[:200]


def timeout_of(platform: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0
    if seconds <= 0:
        raise PlatformMisconfigured(platform, "timeout_seconds", "must be a number of seconds > 0")
    return seconds

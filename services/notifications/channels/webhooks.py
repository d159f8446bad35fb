"""The HTTP side of the webhook channels: a JSON request whose failure says whether trying again
may help (timeouts, refused connections, HTTP 5xx and 429, a provider's "busy" codes) or not
(any other HTTP 4xx, a provider's refusal)."""

from collections.abc import Collection, Mapping
from typing import Any

import requests

from services.notifications.channel import PermanentFailure, TemporaryFailure


def request_json(method: str, url: str, timeout: float, *, body: Mapping | None = None,
                 params: Mapping | None = None, headers: Mapping | None = None,
                 session: requests.Session | None = None) -> Any:
    """The decoded JSON answer (None when the body is empty)."""
    try:
        answer = (session or requests).request(method, url, json=body, params=params, headers=dict(headers or {}),
                                               timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from None
    if answer.status_code == 429 or answer.status_code >= 500:
        raise TemporaryFailure(f"HTTP {answer.status_code}: {answer.text[:200]}")
    if answer.status_code >= 400:
        raise PermanentFailure(f"HTTP {answer.status_code}: {answer.text[:200]}")
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        raise TemporaryFailure(f"not JSON: {answer.text[:200]}") from None


def check_errcode(answer: Any, busy: Collection[int]) -> None:
    """A WeCom or DingTalk answer: `errcode` 0 is success (an HTTP 200 alone is not); `busy`
    codes may pass later, any other code is a refusal."""
    if not isinstance(answer, Mapping) or "errcode" not in answer:
        raise TemporaryFailure(f"unexpected answer: {str(answer)[:200]}")
    code = answer["errcode"]
    if code == 0:
        return
    failure = TemporaryFailure if code in busy else PermanentFailure
    raise failure(f"errcode {code}: {answer.get('errmsg', '')}")

"""How hard an idempotent consumer tries before it parks an event, and how long a claim on an
event holds before another delivery or a replay may take it over."""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from itertools import islice
from typing import Any

from shared.resilience import backoff

#: Config key → settings field. Every key is optional; the defaults are the dataclass's.
CONFIG_KEYS = {
    "CONSUMER_RETRIES": "retries",
    "CONSUMER_RETRY_FIRST_SECONDS": "retry_first_seconds",
    "CONSUMER_RETRY_MAX_SECONDS": "retry_max_seconds",
    "CONSUMER_RETRY_JITTER": "retry_jitter",
    "CONSUMER_TAKEOVER_SECONDS": "takeover_seconds",
    "CONSUMER_POLL_SECONDS": "poll_seconds",
}


class InvalidConsumerSetting(ValueError):
    """A `CONSUMER_*` config value that cannot work (negative retries, no takeover time...)."""


@dataclass(frozen=True)
class ConsumerSettings:
    retries: int = 3  # runs after the first before the event is parked
    retry_first_seconds: float = 0.2  # the wait before the first retry; each later one doubles
    retry_max_seconds: float = 5.0  # no wait is longer
    retry_jitter: float = 0.5  # each wait is stretched by a random fraction up to this
    takeover_seconds: float = 60.0  # a claim not renewed for this long may be taken over
    poll_seconds: float = 0.5  # how often a second delivery looks whether the first has finished

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "ConsumerSettings":
        """The settings in a service's config (values may arrive as text from the environment)."""
        kinds = {field.name: field.type for field in fields(cls)}
        given = {name: _convert(key, config[key], kinds[name])
                 for key, name in CONFIG_KEYS.items() if config.get(key) not in (None, "")}
        return cls(**given)

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise InvalidConsumerSetting(f"CONSUMER_RETRIES must be 0 or more, not {self.retries}")
        if min(self.retry_first_seconds, self.retry_max_seconds, self.retry_jitter) < 0:
            raise InvalidConsumerSetting("CONSUMER_RETRY_* values must not be negative")
        if self.takeover_seconds <= 0 or self.poll_seconds <= 0:
            raise InvalidConsumerSetting("CONSUMER_TAKEOVER_SECONDS and CONSUMER_POLL_SECONDS must be positive")

    @property
    def takeover(self) -> timedelta:
        return timedelta(seconds=self.takeover_seconds)

    def waits(self, draw: Callable[[], float] = random.random) -> list[float]:
        """The pause before each retry: doubling from the first, never above the most, each
        stretched by up to `retry_jitter` so that instances failing together retry apart."""
        doubling = islice(backoff(self.retry_first_seconds, self.retry_max_seconds), self.retries)
        return [min(wait * (1 + self.retry_jitter * draw()), self.retry_max_seconds) for wait in doubling]


def _convert(key: str, value: Any, kind: Any) -> Any:
    try:
        return int(value) if kind in (int, "int") else float(value)
    except (TypeError, ValueError) as error:
        raise InvalidConsumerSetting(f"{key} must be a number, not {value!r}") from error

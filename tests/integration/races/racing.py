"""Races through real RPC: many callers fire one command at once, and each round's outcome
(answers, errors by type, events) is counted for assertions and printed."""

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tests.events import EventTap

FIGURES: list[str] = []  # one line per raced transition, shown at the end of the run


@dataclass
class Round:
    """One race: the answers of the callers who won and the errors of those who lost."""

    answers: list[dict] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    @property
    def winners(self) -> int:
        return len(self.answers)

    @property
    def lost_by(self) -> Counter:
        return Counter(type(e).__name__ for e in self.errors)


def race(methods: list, calls: Iterable[dict]) -> Round:
    """Caller i sends `calls[i]` through `methods[i]` (each a method of its own proxy); every
    request is on the broker before any answer is awaited."""
    replies = [method.call_async(**kwargs) for method, kwargs in zip(methods, calls, strict=False)]
    outcome = Round()
    for reply in replies:
        try:
            outcome.answers.append(reply.result())
        except Exception as error:  # noqa: BLE001 - every error is counted by type
            outcome.errors.append(error)
    return outcome


class EventCounter(EventTap):
    """A queue bound to `<service>.events` for some event types, from creation on."""

    def __init__(self, amqp_uri: str, service: str, types: list[str]):
        super().__init__(amqp_uri, service, types)
        self.events: list[dict] = []

    def collect(self, expected: int, grace: float = 0.6, timeout: float = 20) -> list[dict]:
        """Every event published so far: waits for `expected`, then `grace` seconds more for
        any beyond them; then the queue goes."""
        deadline = time.monotonic() + timeout
        quiet_until = None
        while True:
            message = self.queue.get(no_ack=True)
            if message is not None:
                self.events.append(json.loads(message.body))
                continue
            now = time.monotonic()
            if quiet_until is None and (len(self.events) >= expected or now >= deadline):
                quiet_until = now + grace
            if quiet_until is not None and now >= quiet_until:
                self.connection.release()
                return self.events
            time.sleep(0.02)


def per(events: list[dict], key: Callable[[dict], str], event_type: str | None = None) -> Counter:
    """Distinct events (by `event_id`) of a type, counted by `key(payload)`."""
    seen = {e["event_id"]: e for e in events if event_type is None or e["type"] == event_type}
    return Counter(key(e["payload"]) for e in seen.values())


def deliveries(events: list[dict], event_type: str) -> int:
    return sum(1 for e in events if e["type"] == event_type)


def report(title: str, rounds: list[Round], callers: int, events: list[int], stored: str = "") -> None:
    """One line of figures per transition, shown with `pytest -s` and in failure output."""
    winners = [r.winners for r in rounds]
    lost = sum((r.lost_by for r in rounds), Counter())
    line = (f"{title}: rounds={len(rounds)} callers={callers} winners/round={winners} events/round={events} "
            f"losers={dict(lost)}{' ' + stored if stored else ''}")
    FIGURES.append(line)
    print(f"\n[race] {line}")

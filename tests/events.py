"""Listen to a service's events as any consumer would, for assertions."""

import json
import time

import kombu
from nameko.events import get_event_exchange


class EventTap:
    """Binds an exclusive queue to `<service>.events` now; `wait_for(n)` returns n envelopes."""

    def __init__(self, amqp_uri: str, service: str, types: list[str]):
        self.connection = kombu.Connection(amqp_uri)
        exchange = get_event_exchange(service, {})
        self.queue = kombu.Queue(exclusive=True, auto_delete=True, channel=self.connection.channel(),
                                 bindings=[kombu.binding(exchange, routing_key=t) for t in types])
        self.queue.declare()

    def wait_for(self, count: int, timeout: float = 15) -> list[dict]:
        events, deadline = [], time.monotonic() + timeout
        while len(events) < count and time.monotonic() < deadline:
            message = self.queue.get(no_ack=True)
            if message is None:
                time.sleep(0.05)
                continue
            events.append(json.loads(message.body))
        self.connection.release()
        return events


def after_runs(count: int):
    """An `entrypoint_waiter` callback that lets the waiter go after `count` runs of the entrypoint."""
    seen = []

    def callback(worker_ctx, result, exc_info):
        seen.append(result)
        return len(seen) >= count

    return callback

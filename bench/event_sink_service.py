"""A bare nameko event consumer, the same-run baseline of event benchmarks: counts `ping` events
(SERVICE_POOL, reliable delivery, as the services' own consumers) and tells the count over RPC."""

from nameko.events import SERVICE_POOL, event_handler
from nameko.rpc import rpc


class EventSinkService:
    name = "event_sink"
    seen = {"count": 0}

    @event_handler("bench", "ping", handler_type=SERVICE_POOL, reliable_delivery=True)
    def on_ping(self, payload):
        EventSinkService.seen["count"] += 1

    @rpc
    def count(self) -> int:
        return EventSinkService.seen["count"]

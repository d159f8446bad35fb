"""Where a service puts the messages it cannot handle: the durable queue `<service>.parked`,
each message kept byte for byte with the reason in its headers, for ops to read or replay."""

from datetime import UTC, datetime
from typing import Any

from kombu import Exchange, Queue
from kombu.message import Message
from nameko.amqp.publish import Publisher

PARKED_QUEUE_TEMPLATE = "{}.parked"
#: Header names on a parked message.
REASON, FROM_EXCHANGE, FROM_ROUTING_KEY, PARKED_AT, CONTENT_TYPE = (
    "x-parked-reason", "x-parked-from-exchange", "x-parked-from-routing-key", "x-parked-at",
    "x-parked-content-type")


def parked_queue(service_name: str) -> Queue:
    """The service's parking queue, reached through the default exchange by its name."""
    name = PARKED_QUEUE_TEMPLATE.format(service_name)
    return Queue(name, exchange=Exchange(""), routing_key=name, durable=True)


def unanswerable(message: Message) -> str | None:
    """Why no reply can reach the caller of an RPC request, or None when one can."""
    missing = [name for name in ("reply_to", "correlation_id") if not message.properties.get(name)]
    if not missing:
        return None
    return f"no {' and no '.join(missing)} property: the caller cannot be answered"


def malformed(body: Any) -> str | None:
    """Why a decoded body is not an RPC request `{"args": [...], "kwargs": {...}}`, or None."""
    if not isinstance(body, dict):
        return f"body is {type(body).__name__}, not an object with args and kwargs"
    if not isinstance(body.get("args"), list | tuple):
        return "body has no args list"
    if not isinstance(body.get("kwargs"), dict):
        return "body has no kwargs object"
    return None


class ParkingLot:
    """Publishes a message, unchanged, to `<service>.parked` with publisher confirms; the
    headers say why, from where and when. Raises when the broker did not take it."""

    def __init__(self, amqp_uri: str, service_name: str, retry_policy: dict, **connection: Any):
        self.queue = parked_queue(service_name)
        self.publisher = Publisher(amqp_uri, declare=[self.queue], retry_policy=retry_policy, **connection)

    def park(self, message: Message, reason: str) -> None:
        properties = message.properties
        headers = {**(message.headers or {}), REASON: reason, PARKED_AT: datetime.now(UTC).isoformat(),
                   FROM_EXCHANGE: message.delivery_info.get("exchange", ""),
                   FROM_ROUTING_KEY: message.delivery_info.get("routing_key", ""),
                   CONTENT_TYPE: message.content_type or ""}
        kept = {key: properties[key] for key in ("correlation_id", "reply_to") if properties.get(key)}
        self.publisher.publish(
            message.body, exchange=self.queue.exchange, routing_key=self.queue.routing_key, headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary", **kept)

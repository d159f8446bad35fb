"""`@consumes`: nameko's event handler, made to run its handler once per event and to lose no
event: it is acknowledged once handled or parked, sent back to the queue when the consumer's
own database failed, and put in `<service>.parked` when anything else went wrong around it
(a body that cannot be decoded included)."""

import functools
import logging
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import SERVICE_POOL, EventHandler
from nameko.messaging import QueueConsumer

from shared.consuming.leases import OutcomeNotRecorded
from shared.consuming.provider import consumer_attribute
from shared.consuming.runner import HANDLER_MARK, BoundConsumer, describe
from shared.parking import ParkingLot
from shared.resilience import DATABASE_GONE
from shared.rpc import PUBLISH_RETRY_POLICY

log = logging.getLogger(__name__)

#: Errors that send an event back to the queue: the consumer's own database did not answer.
REQUEUED_ON = (*DATABASE_GONE, OutcomeNotRecorded)
#: Pause before such an event goes back, so that during an outage the broker and the consumer
#: do not pass it back and forth at full speed.
REQUEUE_PAUSE_SECONDS = 1.0


class EventQueueConsumer(QueueConsumer):
    """nameko's consumer of a service's event queues, except that a body that cannot be decoded
    is parked (kombu would log it and drop it)."""

    def on_decode_error(self, message, exc) -> None:
        handler = next(iter(self._providers))  # every handler parks in the same `<service>.parked`
        refuse = functools.partial(handler.refuse, message, f"body cannot be decoded: {exc}")
        self.container.spawn_managed_thread(refuse, identifier="event_refuse")


class IdempotentEventHandler(EventHandler):
    """nameko 2.14's event handler with SERVICE_POOL and reliable delivery: one durable queue per
    service and handler, `evt-<source>-<type>--<service>.<handler>`, neither exclusive nor
    auto-deleted, declared with its binding by the consumer the service starts (`start()`
    returns once it consumes), so events wait there while the service is down.

    A failing handler is retried and parked inside the worker, so an error reaching this
    entrypoint is the consumer's own: its database (requeued) or anything else (parked)."""

    queue_consumer = EventQueueConsumer()

    def __init__(self, source_service: str, event_type: str, **kwargs: Any):
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL, reliable_delivery=True,
                         requeue_on_error=False, expected_exceptions=REQUEUED_ON, **kwargs)

    def setup(self) -> None:
        consumer_attribute(self.container.service_cls)  # a service without the dependency fails to start
        super().setup()
        self.parking = ParkingLot(self.container.config[AMQP_URI_CONFIG_KEY], self.container.service_name,
                                  PUBLISH_RETRY_POLICY)

    def handle_message_processed(self, message, result=None, exc_info=None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        elif issubclass(exc_info[0], REQUEUED_ON):
            self.queue_consumer.requeue_message(message)
        else:
            self.refuse(message, f"{self.container.service_name}.{self.method_name} could not consume the event: "
                                 f"{describe(exc_info[1])}")

    def refuse(self, message, reason: str) -> None:
        """Park the message, unchanged, in `<service>.parked` and acknowledge it; when it cannot
        be parked either, it goes back to the queue after a pause."""
        try:
            self.parking.park(message, reason)
        except Exception as failure:  # noqa: BLE001 - the event must not be lost
            log.error("%s; nor park it (%s): it goes back to the queue", reason, failure)
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)
            self.queue_consumer.requeue_message(message)
            return
        log.error("%s; parked in %s", reason, self.parking.queue.name)
        self.queue_consumer.ack_message(message)


def consumes(source_service: str, event_type: str) -> Callable[[Callable], Callable]:
    """Makes `handler(self, event)` the idempotent consumer of `event_type` events published by
    `source_service`: it runs once per `event_id`, its return value recorded as its effect."""

    def decorate(handler: Callable[[Any, Any], Any]) -> Callable:
        @functools.wraps(handler)
        def run_once(self, event):
            consumer: BoundConsumer = getattr(self, consumer_attribute(type(self)))
            try:
                return consumer.handle(handler.__name__, event)
            except REQUEUED_ON:
                eventlet.sleep(REQUEUE_PAUSE_SECONDS)
                raise

        setattr(run_once, HANDLER_MARK, handler.__name__)
        return IdempotentEventHandler.decorator(source_service, event_type)(run_once)

    return decorate

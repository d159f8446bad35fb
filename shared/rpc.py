"""The `rpc` entrypoint of every service: nameko's, except that the caller's right to call it
is checked first, a request it cannot run is parked with the reason instead of killing the
process, the broker is reconnected with capped backoff, and a request whose reply could not
be sent stays to be delivered again."""

import functools
import logging
import time
from contextlib import contextmanager
from functools import partial

import eventlet
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import MalformedRequest, serialize
from nameko.messaging import QueueConsumer
from nameko.utils import sanitize_url

from shared.parking import ParkingLot, malformed, unanswerable
from shared.resilience import DATABASE_GONE, RECONNECT_MAX_SECONDS, Unavailable, database_unavailable

log = logging.getLogger(__name__)

#: kombu's retry of one reply or parking publish: enough for a stale pooled connection or a
#: blip. A longer outage has closed the request's channel too, so the broker delivers the
#: request again whatever we do; waiting longer would only hold a worker.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 1}
PARK_FAILED_PAUSE_SECONDS = 1.0


class RpcQueueConsumer(QueueConsumer):
    """nameko's consumer of the `rpc-<service>` queue, with a body that cannot be decoded
    handed to the RPC consumer to park (kombu would log and drop it), and reconnects to
    the broker backing off to at most `RECONNECT_MAX_SECONDS` (kombu's default is 30)."""

    lost_at: float | None = None

    def on_decode_error(self, message, exc) -> None:
        for provider in self._providers:  # only the RpcConsumer below registers here
            self.container.spawn_managed_thread(
                partial(provider.refuse, message, f"body cannot be decoded: {exc}"), identifier="rpc_refuse")

    @contextmanager
    def establish_connection(self):
        most = float(self.container.config.get("RECONNECT_MAX_SECONDS", RECONNECT_MAX_SECONDS))
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=min(0.5, most), interval_step=0.5, interval_max=most)
            yield conn

    def on_connection_error(self, exc, interval) -> None:
        self.lost_at = self.lost_at or time.monotonic()
        log.warning("%s: broker at %s unreachable (%s); trying again in %.1fs",
                    self.container.service_name, sanitize_url(self.amqp_uri), exc, interval)

    def on_connection_revived(self) -> None:
        if self.lost_at is not None:
            log.warning("%s: broker reachable again after %.1fs; serving RPC requests",
                        self.container.service_name, time.monotonic() - self.lost_at)
            self.lost_at = None


class RpcConsumer(nameko_rpc.RpcConsumer):
    """Parks what it cannot run, acks a request only once its reply was published."""

    queue_consumer = RpcQueueConsumer()

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.connection_options = {"ssl": config.get(AMQP_SSL_CONFIG_KEY),
                                   "login_method": config.get(LOGIN_METHOD_CONFIG_KEY)}
        self.exchange = nameko_rpc.get_rpc_exchange(config)
        self.parking = ParkingLot(self.amqp_uri, self.container.service_name, PUBLISH_RETRY_POLICY,
                                  **self.connection_options)

    def handle_message(self, body, message) -> None:
        reason = unanswerable(message) or malformed(body)
        if reason:
            self.refuse(message, reason)
        else:
            super().handle_message(body, message)

    def refuse(self, message, reason: str) -> None:
        """Park a request that cannot be run, tell its caller when it can be told, ack it."""
        routing_key = message.delivery_info.get("routing_key")
        try:
            self.parking.park(message, reason)
        except Exception as error:  # noqa: BLE001 - whatever failed, the request must not be lost
            log.error("%s: request to %s cannot be run (%s) nor parked (%s); it goes back to the queue",
                      self.container.service_name, routing_key, reason, error)
            eventlet.sleep(PARK_FAILED_PAUSE_SECONDS)
            self._settle(self.queue_consumer.requeue_message, message)
            return
        log.error("%s: request to %s parked in %s: %s", self.container.service_name, routing_key,
                  self.parking.queue.name, reason)
        if unanswerable(message) is None:
            self._tell_caller(message, MalformedRequest(reason))
        self._settle(self.queue_consumer.ack_message, message)

    def handle_result(self, message, result, exc_info, call_id: str | None = None):
        """Reply, then ack. A reply that cannot be published leaves the request unacked, to
        be delivered again: when the broker is gone, so is the channel the ack belonged to,
        and the broker redelivers the request whatever we do, so publishing the reply until
        the broker returns would only add a second answer (and hold a worker meanwhile).
        While the channel lives, the request is requeued. Either way it may run twice."""
        serializer = self.container.config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
        responder = nameko_rpc.Responder(self.amqp_uri, self.exchange, serializer, message, **self.connection_options)
        responder.publisher_cls = partial(Publisher, retry_policy=PUBLISH_RETRY_POLICY)
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except Exception as error:  # noqa: BLE001 - the process lives on; the request is delivered again
            log.warning("%s: reply to %s (call id %s) not sent (%s); the request will be delivered again",
                        self.container.service_name, message.delivery_info.get("routing_key"), call_id, error)
            self._settle(self.queue_consumer.requeue_message, message)
            return result, exc_info
        self._settle(self.queue_consumer.ack_message, message)
        return result, exc_info

    def _tell_caller(self, message, error: Exception) -> None:
        try:
            Publisher(self.amqp_uri, retry_policy=PUBLISH_RETRY_POLICY, **self.connection_options).publish(
                {"result": None, "error": serialize(error)}, serializer="json", exchange=self.exchange,
                routing_key=message.properties["reply_to"], correlation_id=message.properties["correlation_id"])
        except Exception as failure:  # noqa: BLE001 - the caller times out instead
            log.warning("%s: could not tell the caller why its request was parked (%s)",
                        self.container.service_name, failure)

    def _settle(self, settle, message) -> None:
        try:
            settle(message)
        except Exception as error:  # noqa: BLE001 - a closed channel: the broker redelivers
            log.warning("%s: could not settle a request (%s); the broker delivers it again",
                        self.container.service_name, error)


class Rpc(nameko_rpc.Rpc):
    """nameko's `rpc`; a database that cannot be reached reaches the caller as `Unavailable`."""

    rpc_consumer = RpcConsumer()

    def __init__(self, expected_exceptions=(), **kwargs):
        listed = expected_exceptions if isinstance(expected_exceptions, list | tuple) else (expected_exceptions,)
        super().__init__(expected_exceptions=(*listed, Unavailable), **kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], DATABASE_GONE):
            log.warning("%s: database unavailable (call id %s): %s", self.container.service_name,
                        worker_ctx.call_id, exc_info[1])
            exc_info = (Unavailable, database_unavailable(exc_info[1]), exc_info[2])
        return self.rpc_consumer.handle_result(message, result, exc_info, worker_ctx.call_id)


def rpc(method=None, **options):
    """`@rpc` / `@rpc(expected_exceptions=...)`: an RPC entrypoint whose caller's right to call
    it (`shared.rights`, the service's `rights` table) is checked before anything else runs.
    A service without actors (a test probe) says so with `rights = None`."""

    def register(function):
        return Rpc.decorator(**options)(_rights_first(function))

    return register if method is None else register(method)


def _rights_first(function):
    @functools.wraps(function)
    def entrypoint(self, *args, **kwargs):
        if self.rights is not None:
            self.rights.require(function.__name__, self.actor())
        return function(self, *args, **kwargs)

    return entrypoint

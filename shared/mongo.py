"""MongoDB dependency provider: one client per container, a narrow store per worker, and
the journal through which the store writes every change that causes events."""

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import eventlet
import kombu
from eventlet.semaphore import Semaphore
from nameko.constants import PERSISTENT
from nameko.events import get_event_exchange
from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.database import Database

from shared.clock import utcnow
from shared.journal import Journal, sweep
from shared.resilience import RECONNECT_MAX_SECONDS, retry_with_backoff

log = logging.getLogger(__name__)

StoreFactory = Callable[[Database, Journal, dict], Any]
#: kombu's retry for an event publish: reconnect at once and try one more time.
REPUBLISH_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}


def mongo_client(uri: str, timeout_ms: int = 5000) -> MongoClient:
    """A client with explicit timeouts and timezone-aware datetimes."""
    return MongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=max(timeout_ms * 6, 30000),
        maxPoolSize=50,
    )


class EventPublisher:
    """Publishes envelopes to `<service>.events` with publisher confirms, in the same
    format as nameko's `EventDispatcher`, so `@event_handler` consumers receive them.

    One connection, opened on first use; a publish that meets a dead connection (the broker
    restarted) reconnects and tries once more through kombu's retry, and one that still fails
    raises (the journal keeps the event for the next try) and reopens on the next use.
    Publishes take turns on it."""

    def __init__(self, amqp_uri: str, service_name: str, config: dict):
        self.exchange = get_event_exchange(service_name, config)
        self.amqp_uri = amqp_uri
        self.turn = Semaphore()
        self.connection: kombu.Connection | None = None
        self.producer: kombu.Producer | None = None

    def __call__(self, event: dict) -> None:
        with self.turn:
            try:
                self._producer().publish(event, routing_key=event["type"], delivery_mode=PERSISTENT,
                                         retry=True, retry_policy=REPUBLISH_ONCE)
            except Exception:
                self.close()
                raise

    def _producer(self) -> kombu.Producer:
        if self.producer is None:
            self.connection = kombu.Connection(self.amqp_uri, transport_options={"confirm_publish": True})
            channel = self.connection.channel()
            self.exchange(channel).declare()
            self.producer = kombu.Producer(channel, exchange=self.exchange, serializer="json")
        return self.producer

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.release()
        self.connection = self.producer = None


class MongoStore(DependencyProvider):
    """Gives workers `factory(db, journal, config)`: the service's repositories, nothing wider.

    `journal` holds the service's settings for its `Journal` (`fresh_collection`, `expand`,
    `on_clash`). Config: `MONGO_URI`, the service's database name under `database_key`,
    `MONGO_TIMEOUT_MS` (default 5000), `OUTBOX_SWEEP_SECONDS` (default 5: how often the
    journal's sweep looks for unfinished steps), `STEP_TAKEOVER_SECONDS` (default 30: how
    long before another instance finishes a step), `RECONNECT_MAX_SECONDS` (default 5: the
    longest wait between tries to prepare a database that does not answer at start). A store
    with a request log (`requests`) has its old answers forgotten by the same sweep.
    """

    def __init__(self, factory: StoreFactory, database_key: str, on_start: Callable[[Any], None] | None = None,
                 journal: dict | None = None):
        self.factory = factory
        self.database_key = database_key
        self.on_start = on_start  # finish work a crashed process left half done: run in the background
        self.journal_settings = journal or {}

    def setup(self) -> None:
        config = self.container.config
        self.client = mongo_client(config["MONGO_URI"], int(config.get("MONGO_TIMEOUT_MS", 5000)))
        db = self.client[config[self.database_key]]
        self.publish = EventPublisher(config["AMQP_URI"], self.container.service_name, config)
        self.journal = Journal(db, self.publish, takeover_seconds=float(config.get("STEP_TAKEOVER_SECONDS", 30)),
                               **self.journal_settings)
        self.store = self.factory(db, self.journal, config)
        self.sweep_seconds = float(config.get("OUTBOX_SWEEP_SECONDS", 5))

    def start(self) -> None:
        """Prepares the database, waiting with backoff while it does not answer (the process
        keeps running; RPCs meanwhile get `Unavailable`), then starts the background work."""
        self.stopping = False
        most = float(self.container.config.get("RECONNECT_MAX_SECONDS", RECONNECT_MAX_SECONDS))
        retry_with_backoff(self._prepare, f"{self.container.service_name}: preparing the database", most=most,
                           given_up=lambda: self.stopping)
        if self.stopping:
            return
        self.journal.start(self.container.spawn_managed_thread)
        if hasattr(self.store, "start"):
            self.store.start(self.container.spawn_managed_thread)
        self.container.spawn_managed_thread(self._sweep_forever, identifier="journal_sweep")
        if self.on_start:
            self.container.spawn_managed_thread(self._finish_left_work, identifier="finish_left_work")

    def stop(self) -> None:
        self.stopping = True
        self.client.close()
        self.publish.close()

    kill = stop

    def _prepare(self) -> None:
        if hasattr(self.store, "ensure_indexes"):
            self.store.ensure_indexes()

    def _finish_left_work(self) -> None:
        """`on_start`, tried again with backoff until it succeeds: the work a dead process left
        may meet that process's unfinished steps, which the sweep frees after the takeover time."""
        most = float(self.container.config.get("RECONNECT_MAX_SECONDS", RECONNECT_MAX_SECONDS))
        retry_with_backoff(lambda: self.on_start(self.store), f"{self.container.service_name}: finishing left work",
                           retry_on=(Exception,), most=most, given_up=lambda: self.stopping)

    def get_dependency(self, worker_ctx) -> Any:
        return self.store

    def _sweep_forever(self) -> None:
        while not self.stopping:
            try:
                sweep(self.journal)
                if hasattr(self.store, "requests"):
                    self.store.requests.expire(utcnow())
            except Exception:  # noqa: BLE001 - keep sweeping; the next round retries
                log.warning("journal sweep failed", exc_info=True)
            eventlet.sleep(self.sweep_seconds)

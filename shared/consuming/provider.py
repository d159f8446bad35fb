"""`IdempotentConsumer`, the dependency a consuming service declares once: the ledger in the
service's own database, and each worker's `BoundConsumer` over it."""

import functools
import logging

from nameko.extensions import DependencyProvider

from shared.consuming.ledger import EventLedger
from shared.consuming.runner import BoundConsumer
from shared.consuming.settings import ConsumerSettings
from shared.mongo import mongo_client

log = logging.getLogger(__name__)

RECORDS_COLLECTION = "consumed_events"


class NoConsumerDependency(TypeError):
    """A service with `@consumes` handlers needs exactly one `IdempotentConsumer` dependency."""


class IdempotentConsumer(DependencyProvider):
    """Gives each worker a `BoundConsumer`: its service's handlers run once per event, with the
    records in the collection `consumed_events` of the database named by `config[database_key]`.

    Config: `MONGO_URI`, `MONGO_TIMEOUT_MS` (default 5000), the `CONSUMER_*` keys of
    `shared.consuming.settings` (all optional)."""

    def __init__(self, database_key: str, collection: str = RECORDS_COLLECTION):
        self.database_key = database_key
        self.collection = collection

    def setup(self) -> None:
        config = self.container.config
        self.settings = ConsumerSettings.from_config(config)
        self.client = mongo_client(config["MONGO_URI"], int(config.get("MONGO_TIMEOUT_MS", 5000)))
        records = self.client[config[self.database_key]][self.collection]
        self.ledger = EventLedger(records, self.settings.takeover)

    def start(self) -> None:
        self.container.spawn_managed_thread(self._index, identifier="consumed_events_index")

    def stop(self) -> None:
        self.client.close()

    kill = stop

    def get_dependency(self, worker_ctx) -> BoundConsumer:
        return BoundConsumer(self.ledger, self.settings, worker_ctx.service)

    def _index(self) -> None:
        try:
            self.ledger.ensure_indexes()
        except Exception as error:  # noqa: BLE001 - it only speeds up lists and counts; the next start tries again
            log.warning("%s: index on %s not made (%s)", self.container.service_name, self.collection, error)


@functools.cache
def consumer_attribute(service_cls: type) -> str:
    """The name of the service's one `IdempotentConsumer` dependency."""
    names = {name for klass in service_cls.__mro__ for name, value in vars(klass).items()
             if isinstance(value, IdempotentConsumer)}
    if len(names) != 1:
        raise NoConsumerDependency(f"{service_cls.__name__} has @consumes handlers and {len(names)} "
                                   "IdempotentConsumer dependencies; it needs exactly one")
    return names.pop()

"""A running notifications service beside running rosters, cases and volunteers services with
the demo street, on the real broker and database, sending to the local providers
(`tests.endpoints`) over real sockets."""

import kombu
import pytest

from services.notifications.service import NotificationsService
from tests.conftest import service_config
from tests.integration.volunteers.conftest import (  # noqa: F401 - fixtures
    cases,
    cases_config,
    cases_db,
    cases_service,
    demo,
    no_leftover_dispatches,
    place,
    rosters,
    rosters_db,
    rosters_service,
    volunteers,
    volunteers_config,
    volunteers_db,
    volunteers_service,
)
from tests.providers import Providers

QUEUES = [f"evt-cases-{kind}--notifications.on_{kind}" for kind in
          ("case_dispatched", "case_accepted", "case_overdue", "case_resolved", "case_reopened")]


@pytest.fixture(scope="module")
def providers():
    started = Providers().start()
    yield started
    started.stop()


@pytest.fixture
def endpoints(providers):
    providers.reset()
    return providers


@pytest.fixture
def notifications_db(database_name, mongo):
    yield mongo[f"{database_name}ntf"]
    mongo.drop_database(f"{database_name}ntf")


@pytest.fixture
def no_leftover_case_events(stack):
    """The service's queues of cases' events start each test absent (no other test's events)."""
    with kombu.Connection(stack.amqp_uri) as connection, connection.channel() as channel:
        for queue in QUEUES:
            channel.queue_delete(queue)


@pytest.fixture
def notifications_config(stack, notifications_db, endpoints):
    channels = {name: {**settings, "enabled": True} for name, settings in endpoints.channels().items()}
    return service_config(stack, NOTIFICATIONS_DB=notifications_db.name, CHANNELS=channels,
                          DELIVERY_SCAN_SECONDS=0.2, FANOUT_SCAN_SECONDS=0.2, RETRY_FIRST_SECONDS=0.2,
                          RETRY_MAX_SECONDS=1, RETRY_JITTER=0.2, CONSUMER_RETRY_FIRST_SECONDS=0.05)


@pytest.fixture
def notifications_service(container_factory, notifications_config, volunteers_service,  # noqa: F811
                          no_leftover_case_events):
    container = container_factory(NotificationsService, notifications_config)
    container.start()
    return container


@pytest.fixture
def notifications(notifications_service, rpc_as):
    return rpc_as().notifications

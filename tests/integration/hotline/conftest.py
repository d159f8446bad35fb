"""A running hotline service beside running rosters and cases services with the demo street, on
the real broker and database, syncing with the local 12345 platform (`tests.hotline_platform`)
over real sockets."""

import kombu
import pytest

from services.hotline.service import HotlineService
from tests.conftest import service_config
from tests.hotline_platform import Simulator
from tests.integration.cases.conftest import (  # noqa: F401 - fixtures
    cases,
    cases_config,
    cases_db,
    cases_service,
    demo,
    place,
    rosters,
    rosters_db,
    rosters_service,
)

CASE_QUEUES = [f"evt-cases-{kind}--hotline.{handler}" for kind, handler in
               (("case_resolved", "on_case_resolved"), ("case_extension_requested", "on_extension_requested"),
                ("case_sent_back", "on_case_sent_back"))]
AREAS = {"JY": "雨花区/左家塘街道/嘉园社区", "LF": "北湖区/北湖街道/联福社区"}


@pytest.fixture(scope="module")
def simulator():
    started = Simulator().start()
    yield started
    started.stop()


@pytest.fixture
def platform(simulator):
    simulator.reset()
    return simulator


@pytest.fixture
def hotline_db(database_name, mongo):
    yield mongo[f"{database_name}hot"]
    mongo.drop_database(f"{database_name}hot")


@pytest.fixture
def no_leftover_case_events(stack):
    """The service's queues of cases' events start each test absent (no other test's events)."""
    with kombu.Connection(stack.amqp_uri) as connection, connection.channel() as channel:
        for queue in CASE_QUEUES:
            channel.queue_delete(queue)


def platforms(simulator: Simulator, **limits) -> dict:
    return {"city": {"adapter": "json_http", "base_url": simulator.api, "timeout_seconds": 2, "page_size": 100,
                     "areas": AREAS, **({"limits": limits} if limits else {})},
            "export": {"adapter": "spreadsheet", "areas": AREAS}}


@pytest.fixture
def hotline_config(stack, hotline_db, platform):
    return service_config(stack, HOTLINE_DB=hotline_db.name, PLATFORMS=platforms(platform), PULL_SECONDS=0.5,
                          SEND_SECONDS=0.2, CASE_SYNC_SECONDS=0.2, RETRY_FIRST_SECONDS=0.2, RETRY_MAX_SECONDS=2,
                          RETRY_ATTEMPTS=8, LEASE_SECONDS=10, CONSUMER_RETRY_FIRST_SECONDS=0.05)


@pytest.fixture
def hotline_service(container_factory, hotline_config, cases_service, demo, no_leftover_case_events):  # noqa: F811
    container = container_factory(HotlineService, hotline_config)
    container.start()
    return container


@pytest.fixture
def hotline(hotline_service, rpc_as):
    return rpc_as().hotline

"""Services under poison messages and outages: the session's broker and database for most
tests, a private RabbitMQ or FerretDB for the tests that kill one."""

import pytest

from shared.stack.ferret import FerretServer
from shared.stack.rabbit import RabbitNode
from tests.conftest import service_processes_env
from tests.integration.cases.conftest import cases_config, cases_db, cases_service  # noqa: F401
from tests.integration.resilience.outages import take_parked
from tests.integration.rosters.conftest import rosters_db, rosters_service  # noqa: F401


@pytest.fixture
def empty_parking(stack):
    """Both services' parking queues emptied before the test."""
    for service in ("rosters", "cases"):
        take_parked(stack.amqp_uri, service)


@pytest.fixture
def private_rabbit(tmp_path):
    """A RabbitMQ node of this test's own, safe to kill; `start()` again reuses its port and data."""
    (tmp_path / "rabbit").mkdir()
    node = RabbitNode(tmp_path / "rabbit")
    node.start()
    yield node
    node.stop()


@pytest.fixture
def private_ferret(tmp_path):
    """A FerretDB of this test's own, not started; `start()` again reuses its port and data."""
    (tmp_path / "ferret").mkdir()
    server = FerretServer(tmp_path / "ferret")
    yield server
    server.stop()


@pytest.fixture
def process_env(stack, database_name):
    """Environment of `nameko run` service processes on the session's stack, logging at WARNING."""
    with service_processes_env(stack, database_name, LOG_LEVEL="WARNING") as env:
        yield env

"""A running gateway beside running cases and rosters services with the demo street, on the
real broker and database, listening on a port of its own; a key for 嘉园社区's office."""

import pytest

from services.gateway.service import GatewayService
from services.notifications.service import NotificationsService
from shared.stack.ports import free_port
from tests.conftest import service_config
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
from tests.integration.notifications.conftest import no_leftover_case_events  # noqa: F401 - a fixture

COMMUNITY = "嘉园社区"


@pytest.fixture
def gateway_db(database_name, mongo):
    yield mongo[f"{database_name}gw"]
    mongo.drop_database(f"{database_name}gw")


@pytest.fixture
def gateway_url(container_factory, stack, gateway_db, cases_service) -> str:  # noqa: F811
    """The base URL of a gateway serving on a free port."""
    port = free_port()
    config = service_config(stack, GATEWAY_DB=gateway_db.name, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            OTHERS_TIMEOUT_SECONDS=10)
    container = container_factory(GatewayService, config)
    container.start()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def gateway_rpc(gateway_url, rpc_as):
    return rpc_as().gateway


@pytest.fixture
def office_key(gateway_rpc, place) -> str:  # noqa: F811
    """A key acting as 嘉园社区's secretary, the district's case system."""
    return gateway_rpc.issue_key(name="区综治平台", who="district-cases", role="secretary",
                                 node_id=place(COMMUNITY), per_minute=10_000)["api_key"]


@pytest.fixture
def public_key(gateway_rpc, place) -> str:  # noqa: F811
    """The key Open311 reads without a key are answered as: 嘉园社区, as a building leader would read."""
    return gateway_rpc.issue_key(name="公开查询", who="open311-public", role="building_leader",
                                 node_id=place(COMMUNITY), per_minute=10_000, public_reads=True)["api_key"]


@pytest.fixture
def notifications_service(container_factory, stack, database_name, mongo, rosters_service,  # noqa: F811
                          no_leftover_case_events):  # noqa: F811
    """Notifications beside them, its inbox the only channel: the notices the gateway sends."""
    container = container_factory(NotificationsService, service_config(stack, NOTIFICATIONS_DB=f"{database_name}gwn"))
    container.start()
    yield container
    mongo.drop_database(f"{database_name}gwn")


@pytest.fixture
def documented_gateway_url(gateway_url, notifications_service) -> str:
    """The gateway with every service its document takes inputs from running."""
    return gateway_url

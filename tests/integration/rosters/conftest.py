"""A running rosters service with the demo street loaded."""

import pytest

from services.rosters.demo import load_demo
from services.rosters.service import RostersService
from tests.conftest import service_config


@pytest.fixture
def rosters_db(database_name, mongo):
    yield mongo[database_name]
    mongo.drop_database(database_name)


@pytest.fixture
def rosters_service(stack, container_factory, rosters_db):
    container = container_factory(RostersService, service_config(stack, ROSTERS_DB=rosters_db.name))
    container.start()
    return container


@pytest.fixture
def rosters(rosters_service, rpc_as):
    return rpc_as().rosters


@pytest.fixture
def demo(rosters):
    return load_demo(rosters)

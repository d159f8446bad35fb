"""A running cases service beside a running rosters service with the demo street."""

import pytest

from services.cases.service import CasesService
from services.rosters.demo import find_place
from tests.conftest import service_config
from tests.integration.rosters.conftest import demo, rosters, rosters_db, rosters_service  # noqa: F401


@pytest.fixture
def cases_db(database_name, mongo):
    yield mongo[f"{database_name}cases"]
    mongo.drop_database(f"{database_name}cases")


@pytest.fixture
def cases_config(stack, cases_db):
    return service_config(stack, CASES_DB=cases_db.name, STEP_TAKEOVER_SECONDS=10, OVERDUE_SCAN_SECONDS=3600)


@pytest.fixture
def cases_service(container_factory, cases_config, rosters_service):  # noqa: F811
    container = container_factory(CasesService, cases_config)
    container.start()
    return container


@pytest.fixture
def cases(cases_service, rpc_as):
    return rpc_as().cases


@pytest.fixture
def place(demo):  # noqa: F811
    """`place("金昌花园/2栋/1单元")` → the unit id in the demo street."""
    return lambda path: find_place(demo, path)


def drain_report(unit_id: str, **extra) -> dict:
    return {"channel": "visit", "reporter": {"name": "王大爷", "phone": "13900001111", "household": "2栋1单元301"},
            "unit_id": unit_id, "category": "drains", "description": "2栋下水道堵塞，污水外溢", **extra}

"""A running volunteers service beside running rosters and cases services with the demo street,
on the real broker and database; a support team at 嘉园社区 and members who joined it."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import kombu
import pytest

from services.rosters.demo import find_place
from services.volunteers.service import VolunteersService
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

DISPATCH_QUEUE = "evt-cases-case_dispatched--volunteers.on_case_dispatched"
COMMUNITY = "嘉园社区"
UNIT = "嘉园社区/金昌花园/2栋/1单元"


@pytest.fixture
def volunteers_db(database_name, mongo):
    yield mongo[f"{database_name}vol"]
    mongo.drop_database(f"{database_name}vol")


@pytest.fixture
def volunteers_config(stack, volunteers_db):
    """Timers fast enough for a test to see them work; claims held an hour unless a test says otherwise."""
    return service_config(stack, VOLUNTEERS_DB=volunteers_db.name, CLAIM_CONFIRM_SECONDS=3600, CLAIM_SCAN_SECONDS=0.5,
                          CASE_SYNC_SECONDS=0.5, REMINDER_SCAN_SECONDS=3600, CONSUMER_RETRY_FIRST_SECONDS=0.05)


@pytest.fixture
def no_leftover_dispatches(stack):
    """The service's queue of `case_dispatched` starts each test absent, so no event published
    while no volunteers service listened (another test's dispatch) reaches this one."""
    with kombu.Connection(stack.amqp_uri) as connection, connection.channel() as channel:
        channel.queue_delete(DISPATCH_QUEUE)


@pytest.fixture
def volunteers_service(container_factory, volunteers_config, cases_service, no_leftover_dispatches):  # noqa: F811
    container = container_factory(VolunteersService, volunteers_config)
    container.start()
    return container


@pytest.fixture
def volunteers(volunteers_service, rpc_as):
    return rpc_as().volunteers


@pytest.fixture
def team(volunteers, demo) -> dict:  # noqa: F811
    """嘉园社区's legal team, made by the community's office."""
    return volunteers.create_team(node_id=find_place(demo, COMMUNITY), name="嘉园法律服务队", kind="legal",
                                  skills=["法律咨询"], categories=["neighbour_dispute", "drains"])


def member_phone(n: int) -> str:
    return f"1358800{n:04d}"


@pytest.fixture
def enlist(volunteers, rosters) -> Callable[[dict, int], list[dict]]:  # noqa: F811
    """`enlist(team, count)`: that many people registered in rosters, applied to the team and
    screened in; their memberships, in order."""

    def enlist_members(team: dict, count: int) -> list[dict]:
        members = []
        for n in range(count):
            rosters.register_person(name=f"志愿者{n}", phone=member_phone(n), skills=["法律咨询"])
            applied = volunteers.apply_member(team_id=team["team_id"], phone=member_phone(n))
            members.append(volunteers.screen_member(member_id=applied["member_id"], passed=True, note="审核通过"))
        return members

    return enlist_members


def task_window(days: int = 3, hours: int = 2) -> dict:
    """A window `days` from now, `hours` long, as ISO times."""
    starts = datetime.now(UTC) + timedelta(days=days)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat()}

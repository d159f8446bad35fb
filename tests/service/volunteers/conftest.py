"""Volunteers' service layer over the real `VolunteersStore` and journal, on an in-memory
database (`tests.fakes.mongo`): no broker, no database server, each test in milliseconds.

Rosters is a fake `People` (people by phone, places by id); cases is a fake that records every
step a team sends it and fails when told to. The service's clock and the journal's are one
`Clock` that moves only when a test moves it."""

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory

import services.volunteers.service as volunteers_service
from services.volunteers.repository import JOURNAL, VolunteersStore
from services.volunteers.service import VolunteersService
from services.volunteers.settings import Settings
from shared.actor import Actor
from shared.errors import field_error
from shared.journal import Journal
from tests.fakes.consumer import PassThrough
from tests.fakes.mongo import FakeDatabase, Fuse
from tests.service.fakes import Clock, FakeActorAccess
from tests.service.rosters.conftest import Broker

MONDAY_MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
JIAYUAN = ("unit_yuhua", "unit_zjt", "unit_jiayuan")  # 雨花区/左家塘街道/嘉园社区, root first
LIANFU = ("unit_beihu", "unit_bhj", "unit_lianfu")  # 北湖区/北湖街道/联福社区
SECRETARY = Actor("曾玉琴", "secretary", JIAYUAN)
LEADER = Actor("康早新", "unit_leader", JIAYUAN)
OPS = Actor("ops", "admin")
UNMASK_ROLES = ("secretary", "grid_worker", "duty_officer", "admin")
SETTINGS = Settings(category_skills={"neighbour_dispute": ["法律咨询"]}, case_sync_max_attempts=3)
CONFIG = {"UNMASK_ROLES": list(UNMASK_ROLES), "OTHERS_TIMEOUT_SECONDS": 1}

UNITS = {
    "unit_jiayuan": {"unit_id": "unit_jiayuan", "name": "嘉园社区", "level": "community",
                     "ancestors": list(JIAYUAN[:-1]), "community_id": "unit_jiayuan"},
    "unit_jc2": {"unit_id": "unit_jc2", "name": "2栋", "level": "building",
                 "ancestors": [*JIAYUAN, "unit_jinchang"], "community_id": "unit_jiayuan"},
    "unit_lianfu": {"unit_id": "unit_lianfu", "name": "联福社区", "level": "community",
                    "ancestors": list(LIANFU[:-1]), "community_id": "unit_lianfu"},
}
#: phone → the person as rosters' `find_person` answers; the first three know the law
PEOPLE = {f"1380731000{n}": {"person_id": f"person_{n}", "name": name, "home_unit_id": "unit_jc2",
                             "skills": ["法律咨询"] if n < 3 else [], "party_member": n % 2 == 0,
                             "occupation": "律师" if n < 3 else "退休"}
          for n, name in enumerate(["王律师", "李律师", "张律师", "赵大姐", "钱师傅", "孙阿姨", "周大爷"])}


def phone_of(n: int) -> str:
    return f"1380731000{n}"


def volunteer(person_id: str) -> Actor:
    """A volunteer as they call: role `volunteer`, `who` their rosters person id."""
    return Actor(person_id, "volunteer", ())


def team_account(team: Mapping) -> Actor:
    """The team's own account: role `support_team`, `who` the team's id."""
    return Actor(team["team_id"], "support_team", tuple(team["lineage"]))


class FakePeople:
    """People and places as rosters would answer them, refused as `others.People` refuses."""

    def __init__(self, people: Mapping[str, dict], units: Mapping[str, dict]):
        self.people = copy.deepcopy(dict(people))
        self.units = copy.deepcopy(dict(units))

    def by_phone(self, phone: str, field: str = "phone") -> dict:
        if phone not in self.people:
            raise field_error(field, "not in the roster: register the person in rosters first")
        return copy.deepcopy(self.people[phone])

    def node(self, unit_id: str, field: str = "node_id") -> dict:
        if unit_id not in self.units:
            raise field_error(field, "no such unit in the roster")
        return copy.deepcopy(self.units[unit_id])


class FakeCases:
    """Cases as a team reaches it: every call recorded as (team, method, arguments);
    `get_case` answered from `docs`; `fail(method, error, ...)` makes the next calls of
    `method` raise those errors in turn; `down` makes every call raise as an unreachable
    service does."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []
        self.docs: dict[str, dict] = {}
        self.failures: dict[str, list[BaseException]] = {}
        self.down = False

    def as_team(self, team: Mapping):
        def send(method: str, **arguments):
            self.calls.append((team["_id"], method, copy.deepcopy(arguments)))
            if self.down:
                raise ConnectionError("cases did not answer")
            if self.failures.get(method):
                raise self.failures[method].pop(0)
            if method == "get_case":
                return copy.deepcopy(self.docs[arguments["case_id"]])
            return {"case_id": arguments["case_id"], "done": method}

        return send

    def fail(self, method: str, *errors: BaseException) -> None:
        self.failures.setdefault(method, []).extend(errors)

    def steps(self) -> list[tuple[str, dict]]:
        """The case steps sent, in order, without `get_case`."""
        return [(method, arguments) for _, method, arguments in self.calls if method != "get_case"]



@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The one clock of the test: the service's `utcnow` and the journal's."""
    moving = Clock(MONDAY_MORNING)
    monkeypatch.setattr(volunteers_service, "utcnow", moving)
    return moving


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase(Fuse())


@pytest.fixture
def broker(db) -> Broker:
    return Broker(db.fuse)


@pytest.fixture
def store(db, broker, clock) -> VolunteersStore:
    return VolunteersStore(db, Journal(db, broker.publish, clock=clock, **JOURNAL), CONFIG)


@pytest.fixture
def people() -> FakePeople:
    return FakePeople(PEOPLE, UNITS)


@pytest.fixture
def cases() -> FakeCases:
    return FakeCases()


@pytest.fixture
def service_as(store, people, cases):
    """`service_as(actor)`: a `VolunteersService` worker acting for `actor` on this test's
    store, with the fake rosters and cases."""

    def worker(actor: Actor = OPS) -> VolunteersService:
        service = worker_factory(VolunteersService, store=store, actor=FakeActorAccess(actor), settings=SETTINGS,
                                 config=CONFIG, rosters=None, cases=None, error_log=None)
        service.consumer = PassThrough(service)
        service._people = lambda: people
        service._send_as = cases.as_team
        return service

    return worker


@pytest.fixture
def team(service_as) -> dict:
    """嘉园社区's legal team, created by the community's secretary."""
    return service_as(SECRETARY).create_team(node_id="unit_jiayuan", name="嘉园法律服务队", kind="legal",
                                             skills=["法律咨询"], categories=["neighbour_dispute"])


def join(service_as, team: Mapping, n: int, passed: bool = True) -> dict:
    """Person n applies to the team (through the secretary) and is screened."""
    applied = service_as(SECRETARY).apply_member(team_id=team["team_id"], phone=phone_of(n))
    return service_as(SECRETARY).screen_member(member_id=applied["member_id"], passed=passed)


@pytest.fixture
def members(service_as, team) -> list[dict]:
    """Six active members: persons 0 to 5 (0, 1, 2 know the law)."""
    return [join(service_as, team, n) for n in range(6)]


def open_task(service_as, team: Mapping, clock: Clock, actor: Actor = SECRETARY, starts_in: timedelta =
              timedelta(days=2), hours: float = 2, **fields) -> dict:
    """A patrol of the team starting `starts_in` from now and lasting `hours`."""
    starts = clock() + starts_in
    task = {"team_id": team["team_id"], "kind": "patrol", "title": "2栋消防通道巡查", "headcount": 1,
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat(), **fields}
    return service_as(actor).open_task(**task)


def claimants(task: Mapping) -> list[str]:
    return [c["person_id"] for c in task["claimants"]]


def waiting(task: Mapping) -> list[str]:
    return [w["person_id"] for w in task["waiting"]]


def named(error) -> list[str]:
    """The fields a structured error names, in order."""
    return [d["field"] for d in error.details]

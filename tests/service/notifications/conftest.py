"""Notifications' service layer over the real `NotificationsStore` and journal, on an in-memory
database (`tests.fakes.mongo`): no broker, no database server, no network.

Rosters, volunteers and cases are fakes answering as their RPCs do; the push channels are
fakes that keep what they were given and fail when told to. The service's clock and the
journal's are one `Clock` that moves only when a test moves it."""

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from nameko.testing.services import worker_factory

import services.notifications.service as notifications_service
from services.notifications.channels.inbox import Inbox
from services.notifications.channels.registry import Channels
from services.notifications.repository import JOURNAL, NotificationsStore
from services.notifications.service import NotificationsService
from services.notifications.settings import Settings
from shared.actor import Actor
from shared.errors import NotFound
from shared.journal import Journal
from tests.fakes.consumer import PassThrough
from tests.fakes.mongo import FakeDatabase, Fuse
from tests.service.fakes import Clock, FakeActorAccess
from tests.service.rosters.conftest import Broker

#: Tuesday 1 December 2026, 10:00 in Shanghai: inside no default window (13:00–14:30, 18:30–19:30).
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LUNCH = datetime(2026, 12, 1, 5, 10, tzinfo=UTC)  # 13:10 in Shanghai
JIAYUAN = ("unit_yuhua", "unit_zjt", "unit_jiayuan")
LIANFU = ("unit_beihu", "unit_bhj", "unit_lianfu")
SECRETARY = Actor("曾玉琴", "secretary", JIAYUAN)
LEADER = Actor("康早新", "grid_leader", (*JIAYUAN, "unit_grid1"))
OPS = Actor("ops", "admin")
CONFIG = {"OTHERS_TIMEOUT_SECONDS": 1}

UNITS = {
    "unit_jiayuan": {"unit_id": "unit_jiayuan", "name": "嘉园社区", "level": "community",
                     "ancestors": list(JIAYUAN[:-1])},
    "unit_grid1": {"unit_id": "unit_grid1", "name": "第一网格", "level": "grid", "ancestors": list(JIAYUAN)},
    "unit_b8": {"unit_id": "unit_b8", "name": "8栋", "level": "building",
                "ancestors": [*JIAYUAN, "unit_grid1", "unit_jinchang"]},
    "unit_b8u1": {"unit_id": "unit_b8u1", "name": "1单元", "level": "unit",
                  "ancestors": [*JIAYUAN, "unit_grid1", "unit_jinchang", "unit_b8"]},
    "unit_lianfu": {"unit_id": "unit_lianfu", "name": "联福社区", "level": "community", "ancestors": list(LIANFU[:-1])},
}


def person(n: int, **extra) -> dict:
    return {"person_id": f"p{n}", "name": f"居民{n}", "phone": f"138073100{n:02d}", **extra}


#: Appointments as rosters lists them: unit leaders of 8栋1单元 and 第一网格, the community's secretary.
APPOINTMENTS = [
    {**person(1), "role": "unit_leader", "unit_id": "unit_b8u1", "lineage": [*UNITS["unit_b8u1"]["ancestors"],
                                                                             "unit_b8u1"]},
    {**person(2), "role": "building_leader", "unit_id": "unit_b8", "lineage": [*UNITS["unit_b8"]["ancestors"],
                                                                               "unit_b8"]},
    {**person(3), "role": "grid_leader", "unit_id": "unit_grid1", "lineage": [*JIAYUAN, "unit_grid1"]},
    {**person(4), "role": "secretary", "unit_id": "unit_jiayuan", "lineage": list(JIAYUAN)},
]
RESIDENTS = {"unit_b8": [person(n) for n in range(10, 60)]}  # 50 households of 8栋
MEMBERS = {"team_legal": [person(n) for n in (20, 21, 22)]}
TEAMS = {"team_legal": {"team_id": "team_legal", "name": "爱\"嘉\"团", "lineage": list(JIAYUAN)}}


class Answer:
    def __init__(self, value: Any):
        self.value = value

    def result(self) -> Any:
        if isinstance(self.value, BaseException):
            raise self.value
        return copy.deepcopy(self.value)


class FakeProxy:
    """A service's RPC proxy: `proxy.method.call_async(**kwargs).result()`, answered by `answer`,
    every call kept in `calls`."""

    def __init__(self, answer):
        self.answer = answer
        self.calls: list[tuple[str, dict]] = []

    def __getattr__(self, method: str):
        proxy = self

        class Method:
            @staticmethod
            def call_async(**kwargs):
                proxy.calls.append((method, kwargs))
                try:
                    return Answer(proxy.answer(method, kwargs))
                except Exception as error:  # noqa: BLE001 - handed back as the RPC would
                    return Answer(error)

        return Method


def rosters_answer(method: str, kwargs: Mapping) -> Any:
    if method == "get_unit":
        if kwargs["unit_id"] not in UNITS:
            raise NotFound("no unit", [{"field": "unit_id", "reason": "not found"}])
        return UNITS[kwargs["unit_id"]]
    if method == "appointments":
        below = kwargs.get("include_descendants", True)
        rows = [a for a in APPOINTMENTS if (kwargs["node_id"] in a["lineage"] if below else
                                            a["unit_id"] == kwargs["node_id"])
                and kwargs.get("role") in (None, a["role"])]
        return rows[kwargs["offset"]:kwargs["offset"] + kwargs["limit"]]
    if method == "search_people" and "person_ids" in kwargs:
        everyone = {p["person_id"]: p for p in [*APPOINTMENTS, *[r for rs in RESIDENTS.values() for r in rs],
                                                *[m for ms in MEMBERS.values() for m in ms]]}
        return [everyone[p] for p in kwargs["person_ids"] if p in everyone]
    if method == "search_people":
        rows = RESIDENTS.get(kwargs["place_id"], [])
        return rows[kwargs["offset"]:kwargs["offset"] + kwargs["limit"]]
    if method == "responsible_chain":
        unit = UNITS[kwargs["unit_id"]]
        chain = [*[UNITS[u] for u in [kwargs["unit_id"], *reversed(unit["ancestors"])] if u in UNITS]]
        return [{"unit_id": u["unit_id"], "name": u["name"], "level": u["level"], "facts": {},
                 "leaders": [a for a in APPOINTMENTS if a["unit_id"] == u["unit_id"]]} for u in chain]
    if method == "labels":
        return {"roles": [{"code": "unit_leader", "label": "单元长"}, {"code": "grid_leader", "label": "网格长"}]}
    raise NotImplementedError(method)


def volunteers_answer(method: str, kwargs: Mapping) -> Any:
    if method == "get_team":
        if kwargs["team_id"] not in TEAMS:
            raise NotFound("no team", [{"field": "team_id", "reason": "not found"}])
        return TEAMS[kwargs["team_id"]]
    if method == "list_members":
        rows = MEMBERS.get(kwargs["team_id"], [])
        return {"total": len(rows), "members": rows[kwargs["offset"]:kwargs["offset"] + kwargs["limit"]]}
    raise NotImplementedError(method)


class FakeCases:
    def __init__(self):
        self.docs: dict[str, dict] = {}

    def __call__(self, method: str, kwargs: Mapping) -> Any:
        if method == "get_case":
            return self.docs[kwargs["case_id"]]
        raise NotImplementedError(method)


class FakeChannel:
    """A push channel that keeps every message it carried and fails as told:
    `fail(TemporaryFailure("HTTP 503"), …)` for the next sends, `broken` for every send."""

    def __init__(self, name: str, address: str | None):
        self.name, self.address = name, address
        self.sent: list = []
        self.failures: list[BaseException] = []
        self.broken: BaseException | None = None

    def fail(self, *failures: BaseException) -> None:
        self.failures.extend(failures)

    def send(self, outgoing) -> str:
        if self.broken is not None:
            raise self.broken
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(outgoing)
        return f"r{len(self.sent)}"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock(MORNING)
    monkeypatch.setattr(notifications_service, "utcnow", moving)
    return moving


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase(Fuse())


@pytest.fixture
def broker(db) -> Broker:
    return Broker(db.fuse)


@pytest.fixture
def store(db, broker, clock) -> NotificationsStore:
    return NotificationsStore(db, Journal(db, broker.publish, clock=clock, **JOURNAL), CONFIG)


@pytest.fixture
def channels() -> dict[str, FakeChannel]:
    return {"sms": FakeChannel("sms", "phone"), "wecom_robot": FakeChannel("wecom_robot", None),
            "email": FakeChannel("email", "email")}


@pytest.fixture
def cases() -> FakeCases:
    return FakeCases()



@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def service_as(store, channels, cases, settings):
    """`service_as(actor)`: a worker acting for `actor`, with the fakes of this test."""
    wired = Channels(channels, {"sms": None, "wecom_robot": 2, "email": None}, Inbox())

    def worker(actor: Actor = OPS) -> NotificationsService:
        service = worker_factory(NotificationsService, store=store, actor=FakeActorAccess(actor), settings=settings,
                                 channels=wired, pool=SimpleNamespace(spawn=None), config=CONFIG,
                                 rosters=FakeProxy(rosters_answer), volunteers=FakeProxy(volunteers_answer),
                                 cases=FakeProxy(cases))
        service.consumer = PassThrough(service)
        return service

    return worker


def deliver(service_as) -> None:
    """Fan out what waits, then send what is due (as the timers do)."""
    service_as().resume_fan_outs()
    service_as().send_due()


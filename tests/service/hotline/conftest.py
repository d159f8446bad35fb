"""Hotline's service layer over the real `HotlineStore` and journal, on an in-memory database
(`tests.fakes.mongo`): no broker, no database server, no network.

The platform is `FakePlatform`: a feed of records and a hand of outbound calls it takes, fails
or refuses as a test tells it. Cases is `FakeCases`, answering `report` once per ticket
reference, `evaluate` and `decide_extension` as cases does. The service's clock and the
journal's are one `Clock` that moves only when a test moves it."""

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from nameko.testing.services import worker_factory

import services.hotline.service as hotline_service
from services.hotline.areas import Areas
from services.hotline.exceptions import OtherServiceUnavailable
from services.hotline.platform import Call, ManualEntry, Page, PlatformDown, PlatformRefused
from services.hotline.repository import JOURNAL, HotlineStore
from services.hotline.service import HotlineService
from services.hotline.settings import Limits, PlatformSettings, Settings
from shared.actor import Actor
from shared.errors import InvalidTransition, NotFound
from shared.events import envelope
from shared.journal import Journal
from shared.retrying import RetryPolicy
from tests.fakes.consumer import PassThrough
from tests.fakes.mongo import FakeDatabase, Fuse
from tests.service.fakes import Clock, FakeActorAccess
from tests.service.notifications.conftest import FakeProxy
from tests.service.rosters.conftest import Broker

#: Tuesday 1 December 2026, 10:00 in Shanghai.
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
JIAYUAN = ("unit_yuhua", "unit_zjt", "unit_jiayuan")
SECRETARY = Actor("曾玉琴", "secretary", JIAYUAN)
OTHER_SECRETARY = Actor("李书记", "secretary", ("unit_beihu", "unit_bhj", "unit_lianfu"))
OPS = Actor("ops", "admin")


def ticket(no: str, revision: int = 1, **extra) -> dict:
    """A record as an adapter yields it: the seeds' noisy outdoor unit unless told otherwise."""
    return {"kind": "ticket", "ticket_no": no, "revision": revision, "received_at": "2026-12-01T09:12:00+08:00",
            "request_type": "投诉", "urgency": "一般", "citizen": {"name": "王先生", "phone": "13812345678"},
            "content": "隔壁商铺空调外机距住宅仅3米，噪音大、热风直吹", "address": "嘉园社区幸福小区2栋",
            "category": "噪声扰民", "area_code": "JY", "deadline": None, **extra}


def survey(no: str, satisfied: bool, update_id: str | None = None, **extra) -> dict:
    return {"kind": "survey", "update_id": update_id or f"{no}:s1", "ticket_no": no,
            "at": "2026-12-03T10:00:00+08:00", "satisfied": satisfied,
            "comment": "外机已移位" if satisfied else "仍然很吵", **extra}


def rework(no: str, update_id: str | None = None) -> dict:
    return {"kind": "rework", "update_id": update_id or f"{no}:r1", "ticket_no": no,
            "at": "2026-12-04T10:00:00+08:00", "reason": "市民反映问题未解决"}


class FakePlatform:
    """A platform: `feed` is its change log (a cursor is a position in it); each outbound call
    is kept in `taken` by key (a repeated key applied once, counted in `repeats`); `down` makes
    every method raise `PlatformDown`, `failures` the next calls fail, `refuse` refuses an
    action."""

    name = "fake"
    pulls = True

    def __init__(self):
        self.feed: list = []
        self.taken: dict[str, tuple[str, Call]] = {}
        self.repeats = 0
        self.down = False
        self.failures: list[BaseException] = []
        self.refuse: dict[str, str] = {}
        self.extension_granted = True

    def _check(self, action: str) -> None:
        if self.down:
            raise PlatformDown("HTTP 503")
        if self.failures:
            raise self.failures.pop(0)
        if action in self.refuse:
            raise PlatformRefused(self.refuse[action])

    def fetch(self, cursor: str | None, limit: int) -> Page:
        self._check("fetch")
        start = int(cursor or 0)
        records = copy.deepcopy(self.feed[start:start + limit])
        end = start + len(records)
        return Page(records, str(end), more=end < len(self.feed))

    def _take(self, action: str, call: Call) -> dict:
        self._check(action)
        if call.key in self.taken:
            self.repeats += 1
        else:
            self.taken[call.key] = (action, call)
        return {"ok": True}

    def sign(self, call: Call) -> dict:
        return self._take("sign", call)

    def reply(self, call: Call) -> dict:
        return self._take("reply", call)

    def return_ticket(self, call: Call) -> dict:
        return self._take("return", call)

    def extend(self, call: Call) -> dict:
        self._take("extend", call)
        return {"granted": self.extension_granted, "deadline": "2026-12-15T18:00:00+08:00" if
                self.extension_granted else None}

    def tickets(self, since):
        raise ManualEntry("not kept")

    def calls(self, action: str) -> list[Call]:
        return [call for kind, call in self.taken.values() if kind == action]


class FakeCases:
    """Cases as the hotline meets it: one case per `external_ref`, verdicts on a resolved case."""

    def __init__(self):
        self.cases: dict[str, dict] = {}
        self.calls: list[tuple[str, dict]] = []
        self.down = False
        self.watch = None  # called with each method asked, when set

    def __call__(self, method: str, kwargs: Mapping) -> Any:
        if self.down:
            raise OtherServiceUnavailable("cases did not answer", [{"field": "case_id", "reason": "unavailable"}])
        self.calls.append((method, dict(kwargs)))
        if self.watch is not None:
            self.watch(method)
        if method == "report":
            ref = kwargs["external_ref"]
            if ref not in self.cases:
                self.cases[ref] = {"case_id": f"case_{len(self.cases) + 1}", "state": "reported",
                                   "lineage": ["unit_yuhua", "unit_zjt", kwargs["unit_id"]], **kwargs}
            return self.cases[ref]
        if method == "search":
            items = [{"case_id": c["case_id"], "state": c["state"], "external_ref": ref}
                     for ref, c in self.cases.items() if c["unit_id"] == kwargs["node_id"]]
            return {"total": len(items), "items": items[kwargs["offset"]:kwargs["offset"] + kwargs["limit"]]}
        case = next(c for c in self.cases.values() if c["case_id"] == kwargs["case_id"])
        if method == "evaluate":
            if case["state"] not in ("resolved", "self_resolved"):
                raise InvalidTransition("not awaiting a verdict", [{"field": "state", "reason": "not allowed",
                                                                    "current_state": case["state"]}])
            case["state"] = "closed" if kwargs["satisfied"] else "reopened"
            return case
        if method == "decide_extension":
            case["extension"] = kwargs["granted"]
            return case
        raise NotImplementedError(method)

    def of(self, method: str) -> list[dict]:
        return [kwargs for name, kwargs in self.calls if name == method]


def rosters_answer(method: str, kwargs: Mapping) -> Any:
    """Rosters' `locate_unit`: the demo community by its path, nothing else."""
    if method == "locate_unit" and kwargs["path"] == ["雨花区", "左家塘街道", "嘉园社区"]:
        return {"unit_id": "unit_jiayuan", "ancestors": ["unit_yuhua", "unit_zjt"]}
    if method == "locate_unit":
        raise NotFound("no unit there", [{"field": "path", "reason": "not found"}])
    if method == "get_unit":
        return {"unit_id": kwargs["unit_id"], "name": {"unit_jiayuan": "嘉园社区"}.get(kwargs["unit_id"], "某社区")}
    raise NotImplementedError(method)



@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock(MORNING)
    monkeypatch.setattr(hotline_service, "utcnow", moving)
    return moving


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase(Fuse())


@pytest.fixture
def broker(db) -> Broker:
    return Broker(db.fuse)


@pytest.fixture
def store(db, broker, clock) -> HotlineStore:
    return HotlineStore(db, Journal(db, broker.publish, clock=clock, **JOURNAL), {})


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def cases() -> FakeCases:
    return FakeCases()


@pytest.fixture
def settings() -> Settings:
    areas = {"JY": "雨花区/左家塘街道/嘉园社区", "LF": "unit_lianfu", "GONE": "雨花区/左家塘街道/旧社区"}
    fake = PlatformSettings(name="fake", adapter="fake", options={}, areas=areas, limits=Limits(), page_size=50)
    return Settings(platforms={"fake": fake}, retry=RetryPolicy(first=timedelta(seconds=2), most=timedelta(seconds=60),
                                                          attempts=5, jitter=0.0))


@pytest.fixture
def service_as(store, platform, cases, settings):
    """`service_as(actor)`: a worker acting for `actor`, with the fakes of this test."""

    def worker(actor: Actor = OPS) -> HotlineService:
        service = worker_factory(HotlineService, store=store, actor=FakeActorAccess(actor), settings=settings,
                                 adapters={"fake": platform}, config={"CASES_TIMEOUT_SECONDS": 1},
                                 cases=FakeProxy(cases), rosters=FakeProxy(rosters_answer), areas=Areas(60),
                                 pool=SimpleNamespace(imap=map))
        service.consumer = PassThrough(service)
        return service

    return worker


@pytest.fixture
def run_timers(service_as, clock):
    """`run_timers(rounds=3)`: pull, make the calls owed to cases, send the calls owed to the
    platform, as the timers do, five seconds apart."""

    def run(rounds: int = 3) -> None:
        for _ in range(rounds):
            service = service_as()
            service.pull_platforms()
            service.push_case_calls()
            service.send_calls()
            clock.move(seconds=5)

    return run


def case_event(kind: str, external_ref: str, case_id: str = "case_1", **detail) -> dict:
    payload = {"case_id": case_id, "version": 5, "state": "resolved", "channel": "hotline",
               "external_ref": external_ref, "category": "noise", "urgency": "normal", "unit_id": "unit_jiayuan",
               "community_id": "unit_jiayuan", "lineage": list(JIAYUAN), "detail": detail}
    return envelope(kind, payload, {"who": "金昌物业", "role": "property_company", "jurisdiction": list(JIAYUAN)})

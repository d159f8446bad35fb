"""Rosters' service layer over the real `RostersStore` and journal, on an in-memory database
(`tests.fakes.mongo`): no broker, no database server, each test in milliseconds.

A "process" is a store with its own journal (not started, so each commit writes, publishes and
finishes before returning) and its own unit cache; the journal's clock moves only when a test
moves it, and a process can die at the n-th call of an operation (`die_at`) and be followed
by a fresh one on the same database, as a restart."""

import copy
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from nameko.testing.services import worker_factory

from services.rosters.demo import load_demo
from services.rosters.repository import RostersStore
from services.rosters.service import RostersService
from shared.actor import Actor
from shared.journal import Journal
from tests.fakes.mongo import FakeDatabase, Fuse
from tests.service.fakes import Clock, FakeActorAccess

MONDAY_MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TAKEOVER_SECONDS = 30
OPS = Actor("ops", "admin")
UNMASK_ROLES = ["secretary", "grid_worker", "duty_officer", "admin"]
CONFIG = {"PERSON_ID_KEY": "test-person-key", "UNIT_CACHE_PRELOAD": False}


class Broker:
    """Keeps every event published, in order; dies on publish when the database's fuse says so."""

    def __init__(self, fuse: Fuse):
        self.fuse = fuse
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.fuse.check("broker", "publish")
        self.published.append(event)

    def types(self) -> Counter:
        return Counter(e["type"] for e in self.published)

    def of(self, event_type: str, change: str | None = None) -> list[dict]:
        return [e for e in self.published
                if e["type"] == event_type and change in (None, e["payload"].get("change"))]


def process(db: FakeDatabase, broker: Broker, clock: Clock) -> RostersStore:
    """One rosters process on the shared database."""
    return RostersStore(db, Journal(db, broker.publish, takeover_seconds=TAKEOVER_SECONDS, clock=clock), CONFIG)


def die_at(db: FakeDatabase, operation: str, collection: str | None, at: int = 1) -> None:
    """From now on, the process dies at the `at`-th call of `operation` on `collection`
    (`"broker"` for a publish); `die_at(db, "", None)` after a restart: nothing dies any more."""
    db.fuse.operation, db.fuse.collection, db.fuse.at, db.fuse.seen = operation, collection, at, 0


def kept(db: FakeDatabase, leaving_out: tuple[str, ...] = ()) -> str:
    """Every document of every collection but those left out, as text (the journal instances'
    heartbeat aside): equal before and after a call that wrote nothing there. A collection
    that holds nothing is left out (one a write made and emptied again holds no data)."""
    collections = {name: sorted(({k: v for k, v in doc.items() if k != "seen_at"} for doc in db[name].docs.values()),
                                key=lambda doc: str(doc["_id"]))
                   for name in db.list_collection_names() if name not in leaving_out and db[name].docs}
    return json.dumps(collections, default=str, sort_keys=True, ensure_ascii=False)


def before_next(owner: object, method: str, rival: Callable[[], object]) -> None:
    """`rival()` runs once, just before the next call of `owner.<method>` (such as
    `store.appointments.update` or `store.units.journal.commit`): another caller who got there first."""
    original = getattr(owner, method)
    shadowed = method in vars(owner)

    def first_the_rival(*args, **kwargs):
        if shadowed:
            setattr(owner, method, original)
        else:
            delattr(owner, method)
        rival()
        return original(*args, **kwargs)

    setattr(owner, method, first_the_rival)


def worker(store: RostersStore, actor: Actor = OPS) -> RostersService:
    """A `RostersService` worker acting for `actor` on `store`."""
    return worker_factory(RostersService, store=store, actor=FakeActorAccess(actor),
                          config={"UNMASK_ROLES": UNMASK_ROLES}, error_log=None)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase(Fuse())


@pytest.fixture
def broker(db) -> Broker:
    return Broker(db.fuse)


@pytest.fixture
def store(db, broker, clock) -> RostersStore:
    return process(db, broker, clock)


@pytest.fixture
def service_as(store):
    """`service_as(actor, on=store)`: a worker acting for `actor` (ops by default) on `store`
    (this test's first process unless another is given)."""
    return lambda actor=OPS, on=None: worker(on or store, actor)


@pytest.fixture(scope="session")
def demo_street() -> tuple[FakeDatabase, dict[str, str]]:
    """The demo street (嘉园社区 with 金昌花园 and 名都凯旋城, 联福社区 with 华尔星城) loaded
    once through the RPC methods, as `make run` loads it: its database and place path → unit id."""
    db = FakeDatabase(Fuse())
    places = load_demo(worker(process(db, Broker(db.fuse), Clock(MONDAY_MORNING))))
    return db, places


@pytest.fixture
def street(db, demo_street) -> dict[str, str]:
    """This test's database holding a copy of the demo street (nothing of it published here):
    place path → unit id."""
    template, places = demo_street
    for name in template.list_collection_names():
        if name != "journal_instances":  # the process that loaded it is gone, and left nothing unfinished
            db[name].docs = copy.deepcopy(template[name].docs)
            db.created.add(name)
    return dict(places)


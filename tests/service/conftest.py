"""Service-layer fixtures: the cases commands and RPC methods over hand-written fakes (no
broker, no database), with a clock that moves only when a test moves it."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory

from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from services.cases.policy import CasePolicy
from services.cases.routing import reference
from services.cases.service import CasesService
from services.cases.taxonomy import Taxonomy
from shared.actor import Actor
from tests.service.fakes import Clock, FakeActorAccess, FakeCasesStore, FakeRoster
from tests.service.street import jiayuan_roster

MONDAY_MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
SUPERVISE_EVERY = timedelta(hours=24)
POLICY = CasePolicy(Taxonomy.from_config(None), DeadlinePolicy(DEFAULT_DEADLINES, {}, WorkCalendar()),
                    SUPERVISE_EVERY, reference)
OPS = Actor("张警官", "admin")
UNMASK_ROLES = ["secretary", "grid_worker", "duty_officer", "admin"]


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def store() -> FakeCasesStore:
    return FakeCasesStore()


@pytest.fixture
def roster() -> FakeRoster:
    return jiayuan_roster()


@pytest.fixture
def service_as(store, roster):
    """`service_as(actor)`: a `CasesService` worker acting for `actor`, on the fake store and
    roster (rosters over RPC replaced by the fake)."""

    def worker(actor: Actor = OPS) -> CasesService:
        service = worker_factory(CasesService, store=store, actor=FakeActorAccess(actor), policy=POLICY,
                                 rosters=None, roster_cache=None, config={"UNMASK_ROLES": UNMASK_ROLES},
                                 error_log=None)
        service._roster = lambda: roster
        return service

    return worker

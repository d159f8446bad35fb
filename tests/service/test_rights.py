"""The rights table of each service, walked whole: for every RPC and every role, a role the
table leaves out is refused naming `role` before anything is read, written or published
(the worker has no store and no rosters at all), and a role it names gets past the check.
The READMEs show the same table."""

from pathlib import Path

import pytest
from nameko.testing.services import worker_factory

from services.cases.rights import RIGHTS as CASES_RIGHTS
from services.cases.service import CasesService
from services.gateway.rights import RIGHTS as GATEWAY_RIGHTS
from services.gateway.service import GatewayService
from services.hotline.rights import RIGHTS as HOTLINE_RIGHTS
from services.hotline.service import HotlineService
from services.notifications.rights import RIGHTS as NOTIFICATIONS_RIGHTS
from services.notifications.service import NotificationsService
from services.rosters.rights import RIGHTS as ROSTERS_RIGHTS
from services.rosters.service import RostersService
from services.volunteers.rights import RIGHTS as VOLUNTEERS_RIGHTS
from services.volunteers.service import VolunteersService
from shared.actor import Actor
from shared.errors import Forbidden
from shared.rights import ROLES
from tests.conftest import rpc_names
from tests.service.fakes import FakeActorAccess

ROOT = Path(__file__).parents[2]
SERVICES = {"cases": (CasesService, CASES_RIGHTS), "rosters": (RostersService, ROSTERS_RIGHTS),
            "volunteers": (VolunteersService, VOLUNTEERS_RIGHTS),
            "notifications": (NotificationsService, NOTIFICATIONS_RIGHTS),
            "hotline": (HotlineService, HOTLINE_RIGHTS), "gateway": (GatewayService, GATEWAY_RIGHTS)}
CALLS = [(service, rpc, role) for service, (cls, _) in SERVICES.items() for rpc in sorted(rpc_names(cls))
         for role in (*ROLES, "janitor")]


class NothingThere:
    """Stands for the store, the other services, settings and config: any use at all fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"touched {name} before the caller's right was checked")

    def __call__(self, *args, **kwargs):
        raise AssertionError("called before the caller's right was checked")


def worker_as(service: str, actor: Actor):
    cls, _ = SERVICES[service]
    blank = NothingThere()
    dependencies = {name: blank for name in ("store", "rosters", "roster_cache", "cases", "policy", "settings",
                                             "config", "consumer", "error_log", "volunteers", "channels", "pool",
                                             "adapters", "areas", "pool")
                    if hasattr(cls, name)}
    worker = worker_factory(cls, actor=FakeActorAccess(actor), **dependencies)
    worker._roster = worker._people = worker._send_as = blank
    return worker


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_table_names_every_rpc_of_the_service_and_nothing_else(service):
    cls, rights = SERVICES[service]

    assert set(rights.rules) == rpc_names(cls)


@pytest.mark.parametrize(("service", "rpc", "role"), CALLS, ids=[f"{s}.{r}-{o}" for s, r, o in CALLS])
def test_a_role_is_refused_before_anything_else_exactly_where_the_table_leaves_it_out(service, rpc, role):
    rights = SERVICES[service][1]
    worker = worker_as(service, Actor("某人", role, ("unit_yuhua", "unit_zjt", "unit_jiayuan")))

    try:
        getattr(worker, rpc)()
    except Forbidden as refused:
        outcome = refused.details[0]["field"] if refused.details else "jurisdiction"
    except Exception:  # noqa: BLE001 - past the check: its input or its store answered, not the table
        outcome = "past the check"
    else:
        outcome = "past the check"

    expected = "past the check" if rights.rule(rpc, role) is not None else "role"
    assert outcome == expected


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_service_readme_shows_the_table_as_the_code_has_it(service):
    readme = (ROOT / "services" / service / "README.md").read_text(encoding="utf-8")

    assert SERVICES[service][1].markdown() in readme

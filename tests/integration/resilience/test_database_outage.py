"""Services outlive their database: while it is gone calls fail as `Unavailable`, and when it
is back (same port, same data) they are answered again, with no restart of the service."""

import logging
import time

import eventlet
import pytest

from services.rosters.service import RostersService
from shared.resilience import Unavailable
from tests.conftest import service_config
from tests.integration.resilience.outages import kill_hard, wait_for

KANG = {"name": "康师傅", "phone": "13807310004"}


@pytest.fixture
def rosters_on_private_ferret(stack, container_factory, private_ferret, database_name):
    """A rosters container on the private FerretDB (not started yet), quick to notice it is gone."""
    config = service_config(stack, MONGO_URI=private_ferret.uri, ROSTERS_DB=database_name, MONGO_TIMEOUT_MS=1000,
                            RECONNECT_MAX_SECONDS=1)
    return container_factory(RostersService, config)


def test_calls_fail_as_unavailable_while_the_database_is_down_and_are_answered_when_it_is_back(
        private_ferret, rosters_on_private_ferret, rpc_as):
    private_ferret.start()
    rosters_on_private_ferret.start()
    rosters = rpc_as(timeout=15).rosters
    person = rosters.register_person(**KANG)

    kill_hard(private_ferret)
    failures = []
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(Unavailable) as caught:
            rosters.search_people(name="康师傅")
        failures.append(time.monotonic() - started)
    private_ferret.start()
    back = time.monotonic()
    wait_for(lambda: rosters.search_people(name="康师傅"), 30, "rosters again")
    again = time.monotonic() - back

    assert caught.value.code == "unavailable"
    assert caught.value.details == [{"field": "database", "reason": "ServerSelectionTimeoutError",
                                     "reason_zh": "数据库（database）无法连接"}]
    assert [p["person_id"] for p in rosters.search_people(name="康师傅")] == [person["person_id"]]
    assert not rosters_on_private_ferret._died.ready()
    print(f"\n[database] killed under a running rosters: {len(failures)} calls while down, each failed as "
          f"Unavailable in {max(failures):.1f}s or less; answered again {again:.1f}s after the database "
          f"answered; same container throughout")


def test_a_service_started_while_its_database_is_down_waits_for_it_and_then_serves(
        private_ferret, rosters_on_private_ferret, rpc_as, caplog):
    caplog.set_level(logging.WARNING, logger="shared.resilience")
    starting = eventlet.spawn(rosters_on_private_ferret.start)
    wait_for(lambda: "rosters: preparing the database failed" in caplog.text, 15, "a failed try")
    rosters = rpc_as(timeout=15).rosters

    with pytest.raises(Unavailable):
        rosters.search_people(limit=1)
    private_ferret.start()
    back = time.monotonic()
    with eventlet.Timeout(30):
        starting.wait()
    started = time.monotonic() - back

    assert rosters.search_people(limit=1) == []
    assert not rosters_on_private_ferret._died.ready()
    tries = caplog.text.count("rosters: preparing the database failed")
    print(f"\n[database] rosters started with its database down: {tries} failed tries logged, RPCs meanwhile "
          f"Unavailable; started {started:.1f}s after the database answered")

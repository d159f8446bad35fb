"""A street workbook's import survives `kill -9` of the rosters process running it: a new
process takes the job over once its lease runs out and finishes it, and every row's person,
appointment and place is there exactly once."""

import base64
import contextlib
import os
import signal
import time

from nameko.standalone.rpc import ClusterRpcProxy

from shared.mongo import mongo_client
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop
from tests.street_workbook import COMMUNITIES, DISTRICT, STREET, places_to_create, street_workbook

QUICK_TAKEOVER = {"IMPORT_LEASE_SECONDS": "3", "IMPORT_POLL_SECONDS": "0.5"}


def rosters_ready(rpc) -> bool:
    return rpc.rosters.search_people(limit=1) is not None


def poll_until(rpc, job_id: str, done, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    status = rpc.rosters.import_status(job_id=job_id)
    while not done(status) and time.monotonic() < deadline:
        time.sleep(0.2)
        status = rpc.rosters.import_status(job_id=job_id)
    return status


@contextlib.contextmanager
def _stopped_at_the_end(process):
    try:
        yield
    finally:
        if process.poll() is None:
            stop(process)


def test_an_import_whose_process_is_killed_is_finished_by_the_next_with_every_row_once(cluster_env):
    env = {**cluster_env, **QUICK_TAKEOVER}
    content, plans = street_workbook()
    good = [p for p in plans if not p.problems]
    first = run_service("rosters", env, rosters_ready)
    with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, context_data=actor_context(), timeout=30) as rpc, \
            _stopped_at_the_end(first):
        district = rpc.rosters.create_unit(name=DISTRICT, level="district")
        street = rpc.rosters.create_unit(parent_id=district["unit_id"], name=STREET, level="street")
        for community, levels in COMMUNITIES.items():
            rpc.rosters.create_unit(parent_id=street["unit_id"], name=community, level="community",
                                    config={"levels": levels})
        job = rpc.rosters.import_roster(node_id=street["unit_id"], filename="东湖街道花名册.xlsx",
                                        content_base64=base64.b64encode(content).decode(), create_places=True)
        halfway = poll_until(rpc, job["job_id"], lambda s: s["processed"] >= 60, 300)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        second = run_service("rosters", env, rosters_ready)
        try:
            status = poll_until(rpc, job["job_id"], lambda s: s["state"] == "done", 600)
        finally:
            stop(second)

    db = mongo_client(env["MONGO_URI"])[env["ROSTERS_DB"]]
    print(f"\n[import killed] killed at {halfway['processed']}/{halfway['total']} rows; finished by the next "
          f"process: imported={status['imported']} unchanged={status['unchanged']} rejected={status['rejected']}; "
          f"people={db.people.count_documents({})} appointments={db.appointments.count_documents({})} "
          f"units={db.units.count_documents({})}")
    assert 60 <= halfway["processed"] < len(plans)
    assert (status["state"], status["processed"], status["rejected"]) == ("done", len(plans), len(plans) - len(good))
    assert status["imported"] + status["unchanged"] == len(good)
    assert db.people.count_documents({}) == db.appointments.count_documents({}) == len(good)
    assert db.units.count_documents({}) == 2 + len(COMMUNITIES) + sum(places_to_create(plans).values())

"""Two `nameko run` processes of each service on one database, so racing callers are served
by two processes at once (ten workers each), and a pool of callers, each its own proxy
acting as its own person."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import kombu
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import load_demo
from shared.ids import new_id
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import actor_context, service_processes_env
from tests.integration.races.racing import FIGURES

ROOT = Path(__file__).resolve().parents[3]
INSTANCES = 2
CALLERS = 16


@pytest.fixture(scope="package")
def race_env(stack):
    with service_processes_env(stack, new_id("race").replace("_", ""), STEP_TAKEOVER_SECONDS="10",
                               OVERDUE_SCAN_SECONDS="3600", LOG_LEVEL="ERROR") as env:
        yield env


@pytest.fixture(scope="package")
def race_db(race_env):
    client = mongo_client(race_env["MONGO_URI"])
    yield client[race_env["ROSTERS_DB"]], client[race_env["CASES_DB"]]
    client.close()


def start_instances(name: str, env: dict) -> list[subprocess.Popen]:
    """`INSTANCES` processes of `services.<name>.service`, waited for until each consumes RPCs."""
    processes = [subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config", f"services/{name}/config.yml",
                                   f"services.{name}.service"], cwd=ROOT, env=env, start_new_session=True)
                 for _ in range(INSTANCES)]
    with kombu.Connection(env["AMQP_URI"]) as connection:
        def consumers() -> int:
            with connection.channel() as channel:  # a fresh one: a queue not yet declared closes it
                return channel.queue_declare(f"rpc-{name}", passive=True).consumer_count

        try:
            wait_until(lambda: consumers() >= INSTANCES, 60, f"{INSTANCES} {name} processes")
        except TimeoutError:
            stop(processes)
            raise
    return processes


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(20)


@pytest.fixture(scope="package")
def rosters_instances(race_env):
    processes = start_instances("rosters", race_env)
    yield processes
    stop(processes)


@pytest.fixture(scope="package")
def cases_instances(race_env, rosters_instances):
    processes = start_instances("cases", race_env)
    yield processes
    stop(processes)


@pytest.fixture(scope="package")
def callers(race_env):
    """`CALLERS` proxies, each acting as its own admin (`caller-01` …)."""
    with contextlib.ExitStack() as proxies:
        yield [proxies.enter_context(ClusterRpcProxy({"AMQP_URI": race_env["AMQP_URI"]}, timeout=30,
                                                     context_data=actor_context(f"caller-{i:02d}")))
               for i in range(1, CALLERS + 1)]


@pytest.fixture(scope="package")
def ops(race_env):
    """One proxy for arranging each round."""
    with ClusterRpcProxy({"AMQP_URI": race_env["AMQP_URI"]}, context_data=actor_context(), timeout=30) as proxy:
        yield proxy


@pytest.fixture(scope="package")
def street(rosters_instances, ops):
    """The demo street, loaded once for every race: place path → unit id."""
    return load_demo(ops.rosters)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("races")
        for line in FIGURES:
            terminalreporter.write_line(line)

"""The cluster as processes: each service started with `nameko run`, as ops would."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.stack.ports import wait_until
from tests.conftest import actor_context, service_processes_env

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cluster_env(stack, database_name):
    with service_processes_env(stack, database_name) as env:
        yield env


def run_service(name: str, env: dict, ready, config: str | None = None) -> subprocess.Popen:
    """`nameko run --config services/<name>/config.yml services.<name>.service` (or another
    config file), waited for."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", config or f"services/{name}/config.yml",
         f"services.{name}.service"], cwd=ROOT, env=env, start_new_session=True)
    with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, context_data=actor_context(), timeout=5) as rpc:
        wait_until(lambda: ready(rpc), 60, f"{name} process")
    return process


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(20)


@pytest.fixture
def rosters_process(cluster_env):
    process = run_service("rosters", cluster_env, lambda rpc: rpc.rosters.search_people(limit=1) == [])
    yield process
    stop(process)


@pytest.fixture
def cases_process(cluster_env, rosters_process):
    process = run_service("cases", cluster_env, lambda rpc: rpc.cases.search(limit=1)["total"] == 0)
    yield process
    stop(process)

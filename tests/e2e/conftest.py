"""The cluster as processes: each service started with `nameko run`, as ops would."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import SECRET, actor_context

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cluster_env(stack, database_name):
    env = {**os.environ, "AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri,
           "ROSTERS_DB": f"{database_name}r", "ACTOR_SECRET": SECRET, "OUTBOX_SWEEP_SECONDS": "0.5"}
    yield env
    client = mongo_client(stack.mongo_uri)
    client.drop_database(env["ROSTERS_DB"])
    client.close()


@pytest.fixture
def rosters_process(cluster_env):
    process = subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", "services/rosters/config.yml",
         "services.rosters.service"], cwd=ROOT, env=cluster_env, start_new_session=True)
    with ClusterRpcProxy({"AMQP_URI": cluster_env["AMQP_URI"]}, context_data=actor_context(), timeout=5) as rpc:
        wait_until(lambda: rpc.rosters.search_people(limit=1) == [], 60, "rosters process")
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(20)

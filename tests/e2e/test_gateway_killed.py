"""The HTTP gateway under `kill -9`: four clients report cases over HTTP, each request with its
own `Idempotency-Key`, and send it again after a refused connection, a timeout or a 5xx, as a
client does; the gateway process is killed in the middle and started again (as supervisord
would). Afterwards: every report answered, each made once, and the key still in force."""

import os
import signal
import threading
import time

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place, load_demo
from shared.mongo import mongo_client
from shared.stack.ports import free_port, wait_until
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop

CLIENTS = 4
REPORTS = 30  # per client
UNIT = "金昌花园/2栋/1单元"


def gateway_ready(rpc) -> bool:
    return rpc.gateway.list_keys() is not None


def report_until_answered(base: str, key: str, unit_id: str, client: int, answers: dict, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for n in range(REPORTS):
        idempotency_key = f"client{client}-report{n}"
        body = {"channel": "online", "reporter": {"name": f"居民{client}-{n}"}, "unit_id": unit_id,
                "category": "drains", "description": f"第{client}-{n}号：下水道堵塞"}
        while time.monotonic() < deadline:
            try:
                answer = requests.post(f"{base}/api/v1/cases", json=body, timeout=5,
                                       headers={"X-API-Key": key, "Idempotency-Key": idempotency_key})
            except requests.RequestException:  # refused while the process is down, or a timeout
                time.sleep(0.2)
                continue
            if answer.status_code == 201:
                answers[idempotency_key] = answer.json()["case_id"]
                break
            assert answer.status_code >= 500, answer.text  # anything else would be the client's fault
            time.sleep(0.2)


def test_reports_over_http_survive_kill_9_of_the_gateway_each_made_once(cluster_env, database_name):
    port = free_port()
    env = {**cluster_env, "GATEWAY_DB": f"{database_name}g", "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
           "OTHERS_TIMEOUT_SECONDS": "5"}
    base = f"http://127.0.0.1:{port}"
    config = {"AMQP_URI": env["AMQP_URI"]}
    rosters = run_service("rosters", env, lambda rpc: rpc.rosters.labels() is not None)
    cases = run_service("cases", env, lambda rpc: rpc.cases.labels() is not None)
    gateway = run_service("gateway", env, gateway_ready)
    try:
        with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
            places = load_demo(ops.rosters)
            key = ops.gateway.issue_key(name="区综治平台", who="district-app", role="secretary",
                                        node_id=find_place(places, "嘉园社区"), per_minute=10_000)["api_key"]
        unit_id = find_place(places, UNIT)
        answers: dict[str, str] = {}
        clients = [threading.Thread(target=report_until_answered, args=(base, key, unit_id, n, answers, 180))
                   for n in range(CLIENTS)]
        for client in clients:
            client.start()
        wait_until(lambda: len(answers) >= 20, 60, "the first reports answered")
        os.killpg(gateway.pid, signal.SIGKILL)
        gateway.wait(10)
        killed_after = len(answers)
        time.sleep(2)
        gateway = run_service("gateway", env, gateway_ready)
        for client in clients:
            client.join(200)

        with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
            made = ops.cases.search(node_id=unit_id, limit=200)
            still = requests.get(f"{base}/api/v1/cases?limit=1", headers={"X-API-Key": key}, timeout=10)
        print(f"\n[gateway] {CLIENTS}x{REPORTS} reports over HTTP; gateway killed after {killed_after} answers; "
              f"answered {len(answers)}, distinct cases {len(set(answers.values()))}, cases made {made['total']}")
        assert len(answers) == CLIENTS * REPORTS
        assert len(set(answers.values())) == CLIENTS * REPORTS
        assert made["total"] == CLIENTS * REPORTS
        assert still.status_code == 200
    finally:
        for process in (gateway, cases, rosters):
            if process.poll() is None:
                stop(process)
        mongo_client(env["MONGO_URI"]).drop_database(env["GATEWAY_DB"])

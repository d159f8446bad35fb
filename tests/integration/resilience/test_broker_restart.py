"""Services outlive their broker: killed with SIGKILL under load and started again on the same
port and data, it finds them serving again with no restart and no request left behind."""

import json
import time
import uuid
from dataclasses import dataclass

import eventlet
import kombu
from nameko.rpc import get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from tests.conftest import actor_context
from tests.events import EventTap
from tests.integration.resilience.outages import ServiceProcess, kill_hard, queue_depth, wait_for

CALL_TIMEOUT = 5
READS = {"rosters": "search_people", "cases": "search"}


@dataclass
class Call:
    service: str
    started: float
    ended: float
    outcome: str  # "ok" or the exception's class name


class Load:
    """Callers in green threads, each call on a fresh proxy with a timeout, as clients do."""

    def __init__(self, amqp_uri: str, callers_per_service: int = 2):
        self.amqp_uri = amqp_uri
        self.calls: list[Call] = []
        self.running = True
        self.threads = [eventlet.spawn(self._keep_calling, service)
                        for service in READS for _ in range(callers_per_service)]

    def _keep_calling(self, service: str) -> None:
        while self.running:
            started = time.monotonic()
            try:
                with eventlet.Timeout(CALL_TIMEOUT + 20), ClusterRpcProxy(
                        {"AMQP_URI": self.amqp_uri}, context_data=actor_context(), timeout=CALL_TIMEOUT) as rpc:
                    getattr(getattr(rpc, service), READS[service])(limit=1)
                outcome = "ok"
            except eventlet.Timeout:
                outcome = "hung"
            except Exception as error:  # noqa: BLE001 - every way a call can fail is counted
                outcome = type(error).__name__
                eventlet.sleep(0.2)
            self.calls.append(Call(service, started, time.monotonic(), outcome))

    def served_since(self, service: str, since: float) -> list[Call]:
        return [c for c in self.calls if c.service == service and c.started >= since and c.outcome == "ok"]

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.wait()


def burst_of_requests(amqp_uri: str, count: int) -> None:
    """Requests published persistently with confirms, their caller already gone: what a queue
    holds when the broker dies under load."""
    body = json.dumps({"args": [], "kwargs": {"limit": 1}})
    headers = {f"nameko.{k}": v for k, v in actor_context().items()}
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for _ in range(count):
            producer.publish(body, exchange=get_rpc_exchange({}), routing_key="cases.search", headers=headers,
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                             reply_to=f"gone-{uuid.uuid4()}", correlation_id=str(uuid.uuid4()))


def outage(node, down_seconds: float = 2) -> tuple[float, float]:
    """SIGKILL the broker, leave it down, start it again on its port and data: (killed, answering) times."""
    killed = time.monotonic()
    kill_hard(node)
    eventlet.sleep(down_seconds)
    node.start()
    return killed, time.monotonic()


def call_each_service_once(amqp_uri: str) -> None:
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=actor_context(), timeout=5) as rpc:
        for service, method in READS.items():
            getattr(getattr(rpc, service), method)(limit=1)


def test_services_serve_again_after_their_broker_is_killed_and_restarted(private_rabbit, process_env, tmp_path):
    uri = private_rabbit.uri
    processes = {name: ServiceProcess(name, {**process_env, "AMQP_URI": uri}, tmp_path / f"{name}.log")
                 for name in READS}
    load = None
    try:
        wait_for(lambda: call_each_service_once(uri) is None, 60, "both service processes")
        with ClusterRpcProxy({"AMQP_URI": uri}, context_data=actor_context(), timeout=5) as rpc:
            rpc.rosters.create_unit(name="雨花区", level="district")  # its event publisher is connected now
        load = Load(uri)
        eventlet.sleep(2)

        burst_of_requests(uri, 200)
        killed, back = outage(private_rabbit)
        left_when_back = queue_depth(uri, "rpc-cases")
        wait_for(lambda: all(len(load.served_since(s, back)) >= 5 for s in READS), 40, "both services again")
        load.stop()
        tap = EventTap(uri, "rosters", ["unit_created"])
        with ClusterRpcProxy({"AMQP_URI": uri}, context_data=actor_context(), timeout=10) as rpc:
            rpc.rosters.create_unit(name="天心区", level="district")
        created = time.monotonic()
        events = tap.wait_for(1)
        event_after = time.monotonic() - created

        assert all(p.alive for p in processes.values())
        wait_for(lambda: all(queue_depth(uri, f"rpc-{s}") == 0 for s in READS), 20, "empty RPC queues")
        assert not [c for c in load.calls if c.outcome == "hung"]
        assert [e["payload"]["name"] for e in events] == ["天心区"]
        during = [c for c in load.calls if c.started < back and c.ended > killed]
        again = {s: min(c.ended for c in load.served_since(s, back)) - back for s in READS}
        failures = ", ".join(sorted({c.outcome for c in during if c.outcome != "ok"}))
        redelivered = {n: p.log().count("will be delivered again") for n, p in processes.items()}
        print(f"\n[broker] outage {back - killed:.1f}s (SIGKILL, 2s down, {back - killed - 2:.1f}s to start again); "
              f"{len(load.calls)} calls in all, {len(during)} overlapping the outage: "
              f"{sum(c.outcome == 'ok' for c in during)} ok, {sum(c.outcome != 'ok' for c in during)} failed "
              f"cleanly ({failures}), 0 hung; serving again {again['rosters']:.1f}s (rosters) and "
              f"{again['cases']:.1f}s (cases) after the broker answered; 200 requests burst just before the kill, "
              f"{left_when_back} in rpc-cases when the broker answered, 0 at the end; replies not sent, requests "
              f"left for redelivery: {redelivered}; first event after the restart published "
              f"{event_after:.1f}s after its change; processes never restarted")
    finally:
        if load is not None:
            load.stop()
        for process in processes.values():
            process.stop()

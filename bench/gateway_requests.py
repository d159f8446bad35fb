"""Open311 `POST /requests` through the HTTP gateway with 4 concurrent clients, beside the same
reports sent to cases by RPC in the same run. Each HTTP client keeps its connection
(a `requests.Session`) and sends the form with its key; the gateway counts the key's request,
signs the key's actor and calls cases' `report`, which is what each RPC client calls directly
(with a token of the same actor). Every report is a new case at one of the demo street's units."""

import contextlib
import itertools
import time

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from bench import cpu
from bench.harness import SECRET, bench_stack, measure_concurrent, service_process
from services.rosters.demo import find_place, load_demo
from shared.actor import Actor, context_for
from shared.mongo import mongo_client
from shared.stack.ports import free_port, wait_until

CLIENTS = 4
PER_CLIENT = 300
WARMUP = 20
UNITS = ("金昌花园/2栋/1单元", "金昌花园/2栋/2单元", "名都凯旋城/2栋/1单元")
CATEGORIES = ("drains", "street_lights", "noise")


@contextlib.contextmanager
def gateway_cluster():
    """Rosters, cases and the gateway as `nameko run` processes on fresh databases."""
    with bench_stack() as stack:
        versions = stack.versions()
        print(f"stack: {stack.source}: RabbitMQ {versions['rabbitmq']}, {versions['mongodb']}")
        suffix, port = int(time.time()), free_port()
        env = {"AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ROSTERS_DB": f"bench_rosters_{suffix}",
               "CASES_DB": f"bench_cases_{suffix}", "GATEWAY_DB": f"bench_gateway_{suffix}", "ACTOR_SECRET": SECRET,
               "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
        with service_process("services.rosters.service", env, "services/rosters/config.yml"), \
                service_process("services.cases.service", env, "services/cases/config.yml"), \
                service_process("services.gateway.service", env, "services/gateway/config.yml"):
            yield stack, f"http://127.0.0.1:{port}"
        client = mongo_client(stack.mongo_uri)
        for name in ("ROSTERS_DB", "CASES_DB", "GATEWAY_DB"):
            client.drop_database(env[name])


def forms(unit_ids: list[str]):
    """Open311 forms, each another resident at one of the units."""
    for n in itertools.count():
        yield {"service_code": CATEGORIES[n % len(CATEGORIES)], "address_id": unit_ids[n % len(unit_ids)],
               "description": f"第{n}号反映：楼道问题", "last_name": "王", "first_name": f"居民{n}",
               "phone": f"139{n % 100_000_000:08d}"}


def poster(base_url: str, key: str, unit_ids: list[str]):
    session, made = requests.Session(), forms(unit_ids)

    def post(i: int) -> None:
        answer = session.post(f"{base_url}/open311/v2/requests.json", data={**next(made), "api_key": key}, timeout=30)
        assert answer.status_code == 201, answer.text

    return post


def reporter(rpc, unit_ids: list[str]):
    made = forms(unit_ids)

    def report(i: int) -> None:
        form = next(made)
        case = rpc.cases.report(channel="online", category=form["service_code"], unit_id=form["address_id"],
                                description=form["description"], urgency="normal",
                                reporter={"name": form["last_name"] + form["first_name"], "phone": form["phone"]})
        assert case["state"] == "reported", case

    return report


def main() -> None:
    with gateway_cluster() as (stack, base_url):
        config = {"AMQP_URI": stack.amqp_uri}
        ops_context = context_for(Actor("bench", "admin"), SECRET)
        with ClusterRpcProxy(config, context_data=ops_context, timeout=30) as ops:
            wait_until(lambda: ops.rosters.labels() is not None, 60, "rosters service")
            wait_until(lambda: ops.cases.labels() is not None, 60, "cases service")
            wait_until(lambda: ops.gateway.list_keys() is not None, 60, "gateway service")
            places = load_demo(ops.rosters)
            community = find_place(places, "嘉园社区")
            unit_ids = [find_place(places, unit) for unit in UNITS]
            issued = ops.gateway.issue_key(name="bench", who="district-app", role="secretary", node_id=community,
                                           per_minute=100_000)
            jiayuan = ops.rosters.get_unit(unit_id=community)
        lineage = (*jiayuan["ancestors"], jiayuan["unit_id"])
        actor_context = context_for(Actor("district-app", "secretary", lineage), SECRET)
        with contextlib.ExitStack() as proxies:
            clients = [proxies.enter_context(ClusterRpcProxy(config, context_data=actor_context, timeout=30))
                       for _ in range(CLIENTS)]
            by_rpc = measure_concurrent([reporter(rpc, unit_ids) for rpc in clients], PER_CLIENT, WARMUP)
            by_http = measure_concurrent([poster(base_url, issued["api_key"], unit_ids) for _ in range(CLIENTS)],
                                         PER_CLIENT, WARMUP)
            total = clients[0].cases.search(node_id=community, limit=1)["total"]
    print(f"{CLIENTS} clients x {PER_CLIENT} reports each way, plus {WARMUP} each to warm up; cases made: {total}")
    print(f"{'':34}{'reports/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    rows = (("cases.report by RPC", by_rpc), ("POST /open311/v2/requests.json", by_http))
    for label, row in rows:
        print(f"{label:34}{row['calls_per_s']:>10.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    for label, row in rows:
        print(f"CPU ms per report, {label}: {cpu.describe(row['cpu_ms'])}")
    print(f"HTTP throughput / RPC throughput = {by_http['calls_per_s'] / by_rpc['calls_per_s']:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()

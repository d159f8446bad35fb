"""Case intake with 4 concurrent clients: the `report` RPC (validation, unit check, write,
event with publisher confirms, counters) beside a bare nameko echo in the same run."""

import contextlib
import random

from nameko.standalone.rpc import ClusterRpcProxy

from bench import cpu
from bench.harness import SECRET, cases_cluster, measure_concurrent
from services.rosters.demo import load_demo
from shared.actor import Actor, context_for
from shared.stack.ports import wait_until

CLIENTS = 4
PER_CLIENT = 500
CATEGORIES = ["drains", "street_lights", "sanitation", "parking", "noise", "leaks", "facilities"]


def main() -> None:
    with cases_cluster() as (stack, env):
        context = context_for(Actor("bench", "system"), SECRET)
        config = {"AMQP_URI": stack.amqp_uri}
        with contextlib.ExitStack() as proxies:
            clients = [proxies.enter_context(ClusterRpcProxy(config, context_data=context, timeout=30))
                       for _ in range(CLIENTS)]
            wait_until(lambda: clients[0].echo.echo(x=1) == {"x": 1}, 60, "echo service")
            wait_until(lambda: clients[0].rosters.search_people(limit=1) is not None, 60, "rosters service")
            wait_until(lambda: clients[0].cases.search(limit=1) is not None, 60, "cases service")
            units = [u for path, u in load_demo(clients[0].rosters).items() if path.endswith("单元")]
            rng = random.Random(7)

            def report(rpc):
                return lambda i: rpc.cases.report(
                    channel="visit", unit_id=rng.choice(units), category=rng.choice(CATEGORIES),
                    reporter={"name": "居民", "phone": "13900001111"}, description=f"bench case {i}")

            echo = measure_concurrent([lambda i, rpc=rpc: rpc.echo.echo(unit_id=units[0], n=i) for rpc in clients],
                                      PER_CLIENT)
            intake = measure_concurrent([report(rpc) for rpc in clients], PER_CLIENT)
            stored = clients[0].cases.search(limit=1)["total"]
    print(f"{CLIENTS} clients x {PER_CLIENT} calls on {len(units)} demo units; cases stored: {stored}")
    print(f"{'':22}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, row in (("bare nameko echo", echo), ("cases.report", intake)):
        print(f"{label:22}{row['calls_per_s']:>10.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    for label, row in (("bare nameko echo", echo), ("cases.report", intake)):
        print(f"CPU ms per call, {label}: {cpu.describe(row['cpu_ms'])}")
    print(f"intake throughput / echo throughput = {intake['calls_per_s'] / echo['calls_per_s']:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()

"""12345 tickets synced end to end: the hotline service pulls the platform's changes, opens one case
per ticket through cases' `report` and signs each ticket on the platform (one POST per ticket),
at most `CALL_CONCURRENCY` platform calls at a time (tickets worked on `WORK_CONCURRENCY`, 8,
side by side); beside the local platform's bare sign rate from as many client threads, in the
same run, both with every platform call held 50 ms."""

import contextlib
import time
from collections.abc import Iterator

from nameko.standalone.rpc import ClusterRpcProxy

from bench import cpu
from bench.harness import SECRET, bench_stack, service_process
from bench.platform_load import bare_signs, snapshot, ticket_times
from services.rosters.demo import load_demo
from shared.actor import Actor, context_for
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.hotline_platform import Simulator

TICKETS = 800
BARE_CALLS = 800
CONCURRENCY = 4  # the service's CALL_CONCURRENCY and the bare clients
WARMUP = 5  # bare calls per client before measuring
DELAY_MS = 50
PLATFORM = "demo"  # services/hotline/config.yml: its base_url and page size from the environment


@contextlib.contextmanager
def hotline_cluster() -> Iterator[tuple[object, Simulator, Simulator]]:
    """Two simulated platforms (one for the bare calls, one the hotline service syncs with) and
    the rosters, cases and hotline services as processes on fresh databases (dropped afterwards),
    the demo street loaded before hotline starts; yields an RPC proxy (as the system) and the
    platforms."""
    with bench_stack() as stack, contextlib.ExitStack() as running:
        versions = stack.versions()
        print(f"stack: {stack.source}: RabbitMQ {versions['rabbitmq']}, {versions['mongodb']}")
        bare, synced = Simulator().start(), Simulator().start()
        running.callback(bare.stop)
        running.callback(synced.stop)
        suffix = int(time.time())
        env = {"AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ROSTERS_DB": f"bench_rosters_{suffix}",
               "CASES_DB": f"bench_cases_{suffix}", "HOTLINE_DB": f"bench_hotline_{suffix}", "ACTOR_SECRET": SECRET,
               "HOTLINE_JSON_URL": synced.api, "HOTLINE_PAGE_SIZE": "100", "PULL_SECONDS": "0.5",
               "SEND_SECONDS": "0.2", "CASE_SYNC_SECONDS": "0.2", "CALL_CONCURRENCY": str(CONCURRENCY)}
        config = {"AMQP_URI": stack.amqp_uri}
        with service_process("services.rosters.service", env, "services/rosters/config.yml"), \
                service_process("services.cases.service", env, "services/cases/config.yml"), \
                ClusterRpcProxy(config, context_data=context_for(Actor("bench", "system"), SECRET),
                                timeout=60) as rpc:
            wait_until(lambda: rpc.rosters.search_people(limit=1) is not None, 60, "rosters service")
            wait_until(lambda: rpc.cases.search(limit=1) is not None, 60, "cases service")
            load_demo(rpc.rosters)
            with service_process("services.hotline.service", env, "services/hotline/config.yml"):
                wait_until(lambda: rpc.hotline.sync_state()["platforms"][PLATFORM]["last_pull_at"], 60,
                           "hotline service pulling")
                yield rpc, bare, synced
        client = mongo_client(stack.mongo_uri)
        for key in ("ROSTERS_DB", "CASES_DB", "HOTLINE_DB"):
            client.drop_database(env[key])


def synced_tickets(rpc, platform: Simulator, names: dict[int, str]) -> dict:
    """Generate the tickets on the platform the service pulls and wait until each has its case
    and is signed there; then read every ticket's times back."""
    platform.behave(delay_ms=DELAY_MS)
    cpu_before, started = snapshot(names), time.perf_counter()
    numbers = platform.generate(TICKETS, area_code="JY", seed=11)
    wait_until(lambda: platform.state()["totals"]["signs"] >= TICKETS, 300, "every ticket signed", interval=0.5)
    wait_until(lambda: rpc.hotline.list_tickets(platform=PLATFORM, limit=1)["total"] >= TICKETS, 60,
               "every ticket kept", interval=0.2)
    wall = time.perf_counter() - started
    cpu_ms = cpu.per_call(cpu_before, snapshot(names), TICKETS)
    state = platform.state()
    return {"wall_s": wall, "cpu_ms": cpu_ms, "totals": state["totals"], "requests": state["requests"],
            **ticket_times(rpc.hotline, PLATFORM, numbers)}


def main() -> None:
    with hotline_cluster() as (rpc, bare, synced):
        names = {bare.process.pid: "simulator", synced.process.pid: "simulator"}
        bare.behave(delay_ms=DELAY_MS)
        baseline = bare_signs(bare.api, bare.generate(BARE_CALLS + CONCURRENCY * WARMUP, area_code="JY", seed=7),
                              CONCURRENCY, WARMUP, names)
        sync = synced_tickets(rpc, synced, names)
    print(f"platform calls held {DELAY_MS} ms; {CONCURRENCY} bare client threads, CALL_CONCURRENCY {CONCURRENCY}; "
          f"{TICKETS} tickets generated (area JY → 嘉园社区), page size 100")
    print(f"{'':34}{'per s':>8}{'seconds':>9}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'bare POST sign (baseline)':34}{baseline['per_s']:>8.1f}{baseline['seconds']:>9.2f}"
          f"{baseline['p50_ms']:>10.1f}{baseline['p99_ms']:>10.1f}")
    print(f"{'tickets: first seen → last signed':34}{sync['per_s']:>8.1f}{sync['span_s']:>9.2f}"
          f"{sync['end_to_end']['p50_ms']:>10.1f}{sync['end_to_end']['p99_ms']:>10.1f}")
    print(f"tickets: generated → all signed seen by the bench: {sync['wall_s']:.2f} s "
          f"({TICKETS / sync['wall_s']:.1f} per s)")
    to_case, to_sign = sync["to_case"], sync["to_sign"]
    print(f"per ticket, seen → case opened: p50 {to_case['p50_ms']:.0f} ms, p99 {to_case['p99_ms']:.0f}; "
          f"case opened → signed: p50 {to_sign['p50_ms']:.0f} ms, p99 {to_sign['p99_ms']:.0f}")
    print(f"after the first ticket seen: last seen {sync['seen_s']:.2f} s ({TICKETS / sync['seen_s']:.1f} taken in "
          f"per s), last case opened {sync['opened_s']:.2f} s, last signed {sync['span_s']:.2f} s")
    print(f"platform totals: signs {sync['totals']['signs']}, repeats {sync['totals']['repeats']}; "
          f"requests {sync['requests']}")
    print("CPU ms by process (`other processes`: not started by this bench)")
    print(f"CPU ms per bare call: {cpu.describe(baseline['cpu_ms'])}")
    print(f"CPU ms per ticket: {cpu.describe(sync['cpu_ms'])}")
    print(f"tickets/s / bare sign requests/s = {sync['per_s'] / baseline['per_s']:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()

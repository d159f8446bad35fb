"""Benchmark plumbing: a stack, services as `nameko run` processes, timing of RPC calls."""

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench import cpu
from shared.stack import local_stack, stack_from_env
from shared.stack.resolve import Stack

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-for-the-actor-tokens-01"


@contextlib.contextmanager
def bench_stack() -> Iterator[Stack]:
    found = stack_from_env()
    if found:
        yield found
        return
    with local_stack() as stack:
        yield stack


@contextlib.contextmanager
def service_process(module: str, env: dict, config: str | None = None) -> Iterator[subprocess.Popen]:
    command = [sys.executable, "-m", "nameko", "run", module]
    if config:
        command[4:4] = ["--config", config]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def measure(call: Callable[[int], object], count: int, warmup: int = 50) -> dict:
    """Sequential calls: calls/s, p50 and p99 latency in ms, CPU ms per call by process."""
    for i in range(warmup):
        call(i)
    latencies = []
    cpu_before = cpu.snapshot()
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        call(i)
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"calls": count, "calls_per_s": count / elapsed, "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(count * 0.99) - 1], "cpu_ms": cpu.per_call(cpu_before, cpu.snapshot(), count)}


def measure_concurrent(calls: list[Callable[[int], object]], per_client: int, warmup: int = 20) -> dict:
    """One green thread per client callable, each making `per_client` calls: total calls/s,
    p50 and p99 latency in ms."""
    import eventlet

    def run(call: Callable[[int], object], count: int, offset: int) -> list[float]:
        latencies = []
        for i in range(count):
            t0 = time.perf_counter()
            call(offset + i)
            latencies.append((time.perf_counter() - t0) * 1000)
        return latencies

    pool = eventlet.GreenPool(len(calls))
    list(pool.starmap(run, [(call, warmup, 10**6 * (n + 1)) for n, call in enumerate(calls)]))
    cpu_before = cpu.snapshot()
    started = time.perf_counter()
    results = list(pool.starmap(run, [(call, per_client, n * per_client) for n, call in enumerate(calls)]))
    elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r)
    count = len(latencies)
    return {"calls": count, "calls_per_s": count / elapsed, "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(count * 0.99) - 1], "cpu_ms": cpu.per_call(cpu_before, cpu.snapshot(), count)}


@contextlib.contextmanager
def cases_cluster() -> Iterator[tuple[Stack, dict]]:
    """A stack with the echo, rosters and cases services running as processes on fresh
    databases (dropped afterwards); yields the stack and the services' environment."""
    from shared.mongo import mongo_client

    with bench_stack() as stack:
        versions = stack.versions()
        print(f"stack: {stack.source}: RabbitMQ {versions['rabbitmq']}, {versions['mongodb']}")
        suffix = int(time.time())
        env = {"AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ROSTERS_DB": f"bench_rosters_{suffix}",
               "CASES_DB": f"bench_cases_{suffix}", "ACTOR_SECRET": SECRET}
        with service_process("bench.echo_service", env, "bench/echo.yml"), \
                service_process("services.rosters.service", env, "services/rosters/config.yml"), \
                service_process("services.cases.service", env, "services/cases/config.yml"):
            yield stack, env
        client = mongo_client(stack.mongo_uri)
        client.drop_database(env["ROSTERS_DB"])
        client.drop_database(env["CASES_DB"])

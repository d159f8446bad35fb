"""The hotline bench's measures on the local 12345 platform: the simulator's bare sign rate from a
few client threads, and each synced ticket's times read back from the hotline service."""

import itertools
import os
import statistics
import time
from collections.abc import Mapping
from datetime import datetime

import eventlet
import requests

from bench import cpu

OTHERS = "other processes"


def parents() -> dict[int, int]:
    """Each process's parent, by pid."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    found[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return found


def snapshot(names: Mapping[int, str]) -> dict[int, tuple[str, float]]:
    """`cpu.snapshot()` with the processes in `names` (by pid) given those names, and every
    process that is not this one or started under it counted as `OTHERS` (on a shared machine,
    other people's brokers, databases and services have the same names as ours)."""
    parent_of, ours = parents(), {os.getpid()}
    added = ours
    while added:  # each round adds the children of the last round's
        added = {pid for pid, parent in parent_of.items() if parent in added and pid not in ours}
        ours |= added
    return {pid: (names.get(pid, name) if pid in ours else OTHERS, seconds)
            for pid, (name, seconds) in cpu.snapshot().items()}


def spread(values_ms: list[float]) -> dict:
    ordered = sorted(values_ms)
    return {"p50_ms": statistics.median(ordered), "p99_ms": ordered[max(int(len(ordered) * 0.99) - 1, 0)]}


def bare_signs(api: str, ticket_nos: list[str], clients: int, warmup: int, names: Mapping[int, str]) -> dict:
    """`clients` threads, each with its own session, sign the tickets (each once, each call under
    its own Idempotency-Key): the first `warmup` per client unmeasured, then the rest."""
    shares = [ticket_nos[n::clients] for n in range(clients)]
    sessions = [requests.Session() for _ in range(clients)]

    def sign(session: requests.Session, numbers: list[str]) -> list[float]:
        latencies = []
        for ticket_no in numbers:
            started = time.perf_counter()
            answer = session.post(f"{api}/tickets/{ticket_no}/sign", json={"signed_at": datetime.now().isoformat()},
                                  headers={"Idempotency-Key": f"bench-sign-{ticket_no}"}, timeout=10)
            answer.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    pool = eventlet.GreenPool(clients)
    list(pool.starmap(sign, zip(sessions, [share[:warmup] for share in shares], strict=True)))
    cpu_before, started = snapshot(names), time.perf_counter()
    results = list(pool.starmap(sign, zip(sessions, [share[warmup:] for share in shares], strict=True)))
    elapsed = time.perf_counter() - started
    latencies = list(itertools.chain.from_iterable(results))
    for session in sessions:
        session.close()
    return {"calls": len(latencies), "per_s": len(latencies) / elapsed, "seconds": elapsed, **spread(latencies),
            "cpu_ms": cpu.per_call(cpu_before, snapshot(names), len(latencies))}


def ticket_times(hotline, platform: str, ticket_nos: list[str]) -> dict:
    """Each ticket read back (`get_ticket`): first seen, case opened, sign recorded; the span from
    the first ticket seen to the last sign, and the spread of each stage per ticket."""
    seen, opened, signed = [], [], []
    for ticket_no in ticket_nos:
        ticket = hotline.get_ticket(ticket_id=f"{platform}:{ticket_no}")
        assert ticket["case_id"], ticket
        [sign] = [entry for entry in ticket["history"] if entry["action"] == "sign"]
        [case] = [entry for entry in ticket["history"] if entry["action"] == "case_opened"]
        seen.append(datetime.fromisoformat(ticket["first_seen_at"]))
        opened.append(datetime.fromisoformat(case["at"]))
        signed.append(datetime.fromisoformat(sign["at"]))
    span = (max(signed) - min(seen)).total_seconds()

    def ms(starts: list[datetime], ends: list[datetime]) -> list[float]:
        return [(end - start).total_seconds() * 1000 for start, end in zip(starts, ends, strict=True)]

    return {"span_s": span, "per_s": len(ticket_nos) / span, "end_to_end": spread(ms(seen, signed)),
            "to_case": spread(ms(seen, opened)), "to_sign": spread(ms(opened, signed)),
            "seen_s": (max(seen) - min(seen)).total_seconds(), "opened_s": (max(opened) - min(seen)).total_seconds()}

"""Notifications' shared counters raced by processes on the real database: a channel's rate
limit is never exceeded however many instances send at once, and of instances gathering one
digest at once exactly one holds it (so a window's messages go out as one digest, never two)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.notifications.racer import LIMIT

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 30


@pytest.fixture
def race_db(database_name, mongo):
    yield mongo[database_name]
    mongo.drop_database(database_name)


def race(uri: str, db_name: str, case: str, processes: int, count: int) -> list:
    racers = [subprocess.Popen([sys.executable, "-m", "tests.integration.notifications.racer", case, uri, db_name,
                                str(me), str(count)], cwd=ROOT, text=True, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for me in range(processes)]
    try:
        for racer in racers:
            assert racer.stdout.readline() == "ready\n", racer.stderr.read()
        start = f"{time.time() + 0.2}\n"
        for racer in racers:
            racer.stdin.write(start)
            racer.stdin.flush()
        outs = [racer.communicate(timeout=120) for racer in racers]
        assert all(r.returncode == 0 for r in racers), [err[-1500:] for _, err in outs]
        return [json.loads(out.splitlines()[-1])["result"] for out, _ in outs]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()


def test_a_channels_rate_limit_holds_across_instances_sending_at_once(stack, race_db):
    taken = race(stack.mongo_uri, race_db.name, "rates", 6, 10)

    print(f"\n[race] rates: 6 processes x 10 sends, limit {LIMIT} a minute: taken per process {taken}")
    assert sum(taken) == LIMIT
    assert race_db["rates"].find_one()["n"] == LIMIT


def test_of_instances_gathering_one_digest_at_once_exactly_one_holds_it(stack, race_db):
    held = race(stack.mongo_uri, race_db.name, "digests", 6, ROUNDS)

    holders = [sum(k in rounds for rounds in held) for k in range(ROUNDS)]
    print(f"\n[race] digests: 6 processes x {ROUNDS} locks: holders per lock {sorted(set(holders))}")
    assert holders == [1] * ROUNDS

"""A fresh database per test and `race`: racer processes, each with its own client, started
together on it; their results come back in racer order."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.database.racer import COLLECTION

ROOT = Path(__file__).resolve().parents[3]
START_MARGIN_SECONDS = 0.05
RACE_TIMEOUT_SECONDS = 180


@pytest.fixture
def race_db(database_name, mongo):
    yield mongo[database_name]
    mongo.drop_database(database_name)


@pytest.fixture
def race_collection(race_db):
    return race_db[COLLECTION]


@pytest.fixture
def race(stack, race_db):
    """`race(case, processes, count)` → each racer's result, racer 0 first."""
    return lambda case, processes, count: run_together(stack.mongo_uri, race_db.name, case, processes, count)


def run_together(uri: str, db_name: str, case: str, processes: int, count: int) -> list:
    """Start the racers, wait until every one is connected, then let them all go at one instant."""
    racers = [subprocess.Popen([sys.executable, "-m", "tests.integration.database.racer", case, uri, db_name,
                                str(me), str(count)], cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for me in range(processes)]
    try:
        for racer in racers:
            if racer.stdout.readline() != "ready\n":
                fail(racer, "did not get ready")
        start = f"{time.time() + START_MARGIN_SECONDS}\n"
        for racer in racers:
            racer.stdin.write(start)
            racer.stdin.flush()
        return [result_of(racer) for racer in racers]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
                racer.wait()


def result_of(racer: subprocess.Popen) -> object:
    out, err = racer.communicate(timeout=RACE_TIMEOUT_SECONDS)
    if racer.returncode != 0:
        pytest.fail(f"racer {racer.args[6]} exited with {racer.returncode}:\n{err[-2000:]}")
    return json.loads(out.splitlines()[-1])


def fail(racer: subprocess.Popen, what: str) -> None:
    racer.kill()
    pytest.fail(f"racer {racer.args[6]} {what}:\n{racer.stderr.read()[-2000:]}")

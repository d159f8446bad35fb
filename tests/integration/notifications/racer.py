"""One racing process: `python -m tests.integration.notifications.racer CASE MONGO_URI DB ME COUNT`.

Prints `ready`, reads a start time from stdin, then from that instant runs COUNT tries of CASE
with notifications' own storage classes, and prints its results as one JSON line:
- `rates`: `Rates.take` of one channel in one minute whose limit is LIMIT: how many it got;
- `digests`: `Locks.take` of round k's digest lock, every racer at once, k = 0 … COUNT-1: the
  rounds it held the lock (without letting it go, so the lease is what shuts the others out)."""

import json
import sys
import time
from datetime import UTC, datetime, timedelta

from pymongo import MongoClient

from services.notifications.repository import Locks, Rates

LIMIT = 7
MINUTE = datetime(2026, 12, 1, 5, 10, tzinfo=UTC)


def main() -> None:
    case, uri, db_name, me, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    db = MongoClient(uri)[db_name]
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    time.sleep(max(0.0, start - time.time()))
    if case == "rates":
        rates = Rates(db["rates"])
        result: object = sum(rates.take("wecom_robot", MINUTE, LIMIT) for _ in range(count))
    else:
        locks = Locks(db["locks"])
        result = [k for k in range(count) if locks.take(f"digest:round{k}", MINUTE, timedelta(minutes=1)) is not None]
    print(json.dumps({"me": me, "result": result}), flush=True)


if __name__ == "__main__":
    main()

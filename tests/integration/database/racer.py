"""One racing process: `python -m tests.integration.database.racer CASE MONGO_URI DB ME COUNT`.

It connects with its own client, prints `ready`, reads a start time from stdin and, from then,
runs COUNT operations of CASE (or COUNT rounds, one every ROUND_SECONDS) on the collection
`race`, printing its results as one JSON line. A plain pymongo client and no eventlet: racers are
ordinary processes running truly in parallel."""

import json
import sys
import time
from collections.abc import Callable, Iterator

from pymongo import MongoClient, ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

COLLECTION = "race"
ROUND_SECONDS = 0.1
HEAD_COUNT = 3
BATCH = 60
BULK_IDS = ("b0", "b1", "b2")


def own_keys(me: int, count: int) -> list[str]:
    """The field names (or array items) racer `me` writes, in the order it writes them."""
    return [f"k{me}_{i}" for i in range(count)]


def round_id(k: int) -> str:
    return f"round{k}"


def rounds(start: float, count: int) -> Iterator[int]:
    """Round numbers, each yielded at its own start time, the same in every racer."""
    for k in range(count):
        time.sleep(max(0.0, start + k * ROUND_SECONDS - time.time()))
        yield k


def inc(coll: Collection, me: int, count: int, start: float) -> int:
    return sum(coll.update_one({"_id": "counter"}, {"$inc": {"n": 1}}).modified_count for _ in range(count))


def set_keys(coll: Collection, me: int, count: int, start: float) -> int:
    return sum(coll.update_one({"_id": "keys"}, {"$set": {key: me}}).modified_count for key in own_keys(me, count))


def set_or_unset(coll: Collection, me: int, count: int, start: float) -> int:
    """Even racers set their keys, odd racers unset theirs (set before the race)."""
    verb = "$set" if me % 2 == 0 else "$unset"
    return sum(coll.update_one({"_id": "keys"}, {verb: {key: me}}).modified_count for key in own_keys(me, count))


def push(coll: Collection, me: int, count: int, start: float) -> int:
    return sum(coll.update_one({"_id": "list"}, {"$push": {"items": item}}).modified_count
               for item in own_keys(me, count))


def compare_and_set(coll: Collection, me: int, count: int, start: float) -> dict:
    wins = tries = 0
    while wins < count and tries < count * 100:
        tries += 1
        current = coll.find_one({"_id": "cas"})["v"]
        wins += coll.update_one({"_id": "cas", "v": current}, {"$set": {"v": current + 1}}).matched_count
    return {"wins": wins, "tries": tries}


def sequence(coll: Collection, me: int, count: int, start: float) -> list[int]:
    return [coll.find_one_and_update({"_id": "seq"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER)["n"]
            for _ in range(count)]


def bulk(coll: Collection, me: int, count: int, start: float) -> int:
    ops = [UpdateOne({"_id": BULK_IDS[i % len(BULK_IDS)]}, {"$inc": {"n": 1}}) for i in range(BATCH)]
    return sum(coll.bulk_write(ops, ordered=False).modified_count for _ in range(count))


def head_count(coll: Collection, me: int, count: int, start: float) -> list[int]:
    return [coll.update_one({"_id": round_id(k), "n": {"$lt": HEAD_COUNT}},
                            {"$inc": {"n": 1}, "$push": {"who": me}}).matched_count for k in rounds(start, count)]


def take(coll: Collection, me: int, count: int, start: float) -> list[int | None]:
    """Per round, the `by` of the task as returned to this racer, or None when it lost."""
    taken = []
    for k in rounds(start, count):
        doc = coll.find_one_and_update({"_id": round_id(k), "state": "open"},
                                       {"$set": {"state": "taken", "by": me}}, return_document=ReturnDocument.AFTER)
        taken.append(None if doc is None else doc["by"])
    return taken


def upsert(coll: Collection, me: int, count: int, start: float) -> list[bool]:
    """Per round, whether this racer's upsert created the document (one retry on a duplicate key)."""
    created = []
    for k in rounds(start, count):
        try:
            result = coll.update_one({"_id": round_id(k)}, {"$inc": {"n": 1}}, upsert=True)
        except DuplicateKeyError:
            result = coll.update_one({"_id": round_id(k)}, {"$inc": {"n": 1}}, upsert=True)
        created.append(result.upserted_id is not None)
    return created


def insert(coll: Collection, me: int, count: int, start: float) -> list[str]:
    outcomes = []
    for k in rounds(start, count):
        try:
            coll.insert_one({"_id": round_id(k), "by": me})
            outcomes.append("inserted")
        except DuplicateKeyError:
            outcomes.append("duplicate")
    return outcomes


def delete_or_update(coll: Collection, me: int, count: int, start: float) -> list[int]:
    """Even racers delete the round's `{v: 0}` document, odd racers set its v to 1; per round,
    how many documents this racer's command deleted or matched."""
    if me % 2 == 0:
        return [coll.delete_one({"_id": round_id(k), "v": 0}).deleted_count for k in rounds(start, count)]
    return [coll.update_one({"_id": round_id(k), "v": 0}, {"$set": {"v": 1}}).matched_count
            for k in rounds(start, count)]


CASES: dict[str, Callable] = {case.__name__: case for case in (
    inc, set_keys, set_or_unset, push, compare_and_set, sequence, bulk, head_count, take, upsert, insert,
    delete_or_update)}


def main(case: str, uri: str, db_name: str, me: str, count: str) -> None:
    client = MongoClient(uri, serverSelectionTimeoutMS=10000, socketTimeoutMS=20000)
    client.admin.command("ping")
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    time.sleep(max(0.0, start - time.time()))
    result = CASES[case](client[db_name][COLLECTION], int(me), int(count), start)
    print(json.dumps(result), flush=True)
    client.close()


if __name__ == "__main__":
    main(*sys.argv[1:6])

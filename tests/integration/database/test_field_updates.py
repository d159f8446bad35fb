"""Field updates from several processes on one document: MongoDB applies each update to a
document atomically, so every change from every process lands."""

import pytest

from tests.integration.database.racer import BATCH, BULK_IDS, own_keys

pytestmark = pytest.mark.integration

PROCESSES = 6


def test_increments_from_many_processes_all_count(race, race_collection):
    race_collection.insert_one({"_id": "counter", "n": 0})

    reported = race("inc", PROCESSES, 200)

    stored = race_collection.find_one({"_id": "counter"})["n"]
    expected = PROCESSES * 200
    assert (stored, sum(reported)) == (expected, expected), (
        f"expected {expected}, stored {stored} ({expected - stored} increments lost), "
        f"modified_count reported {sum(reported)}")


def test_keys_set_by_many_processes_are_all_present(race, race_collection):
    race_collection.insert_one({"_id": "keys"})

    race("set_keys", PROCESSES, 100)

    stored = set(race_collection.find_one({"_id": "keys"})) - {"_id"}
    expected = {key for me in range(PROCESSES) for key in own_keys(me, 100)}
    assert stored == expected, f"expected {len(expected)} keys, stored {len(stored)} ({len(expected - stored)} lost)"


def test_keys_set_while_others_are_unset_end_exactly_as_set(race, race_collection):
    setters, unsetters = range(0, PROCESSES, 2), range(1, PROCESSES, 2)
    race_collection.insert_one({"_id": "keys", **{key: me for me in unsetters for key in own_keys(me, 100)}})

    race("set_or_unset", PROCESSES, 100)

    stored = set(race_collection.find_one({"_id": "keys"})) - {"_id"}
    expected = {key for me in setters for key in own_keys(me, 100)}
    assert stored == expected, (
        f"expected {len(expected)} keys, stored {len(stored)}: {len(expected - stored)} set keys lost, "
        f"{len(stored - expected)} unset keys back")


def test_pushes_from_many_processes_all_land_in_each_process_order(race, race_collection):
    race_collection.insert_one({"_id": "list", "items": []})

    race("push", PROCESSES, 150)

    items = race_collection.find_one({"_id": "list"})["items"]
    expected = PROCESSES * 150
    assert len(items) == expected, (
        f"expected {expected} items, stored {len(items)} ({expected - len(set(items))} pushes lost)")
    for me in range(PROCESSES):
        assert [item for item in items if item.startswith(f"k{me}_")] == own_keys(me, 150)


def test_bulk_increments_on_a_few_documents_add_up_exactly(race, race_collection):
    race_collection.insert_many([{"_id": doc_id, "n": 0} for doc_id in BULK_IDS])

    reported = race("bulk", 4, 10)

    stored = [race_collection.find_one({"_id": doc_id})["n"] for doc_id in BULK_IDS]
    each = 4 * 10 * BATCH // len(BULK_IDS)
    assert (stored, sum(reported)) == ([each] * len(BULK_IDS), each * len(BULK_IDS)), (
        f"expected {each} on each of {list(BULK_IDS)}, stored {stored}, modified_count reported {sum(reported)}")

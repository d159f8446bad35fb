"""Commands the server must answer as MongoDB does whatever their shape: queries with no
filter at all, and writes whose sender asked for no reply."""

import time

import pytest
from pymongo import WriteConcern

pytestmark = pytest.mark.integration


def test_an_aggregation_with_no_match_stage_and_an_estimated_count_are_answered(race_collection):
    race_collection.insert_many([{"_id": f"case_{i}", "category": "drains" if i % 3 else "noise"} for i in range(9)])

    groups = list(race_collection.aggregate([{"$group": {"_id": "$category", "n": {"$sum": 1}}}]))

    assert sorted((g["_id"], g["n"]) for g in groups) == [("drains", 6), ("noise", 3)]
    assert race_collection.estimated_document_count() == 9


def test_unacknowledged_writes_land_and_leave_the_connection_in_step(race_collection):
    race_collection.insert_one({"_id": "counter", "n": 0})
    quiet = race_collection.with_options(write_concern=WriteConcern(w=0))

    for _ in range(20):
        quiet.update_one({"_id": "counter"}, {"$inc": {"n": 1}})
    deadline = time.monotonic() + 5
    while race_collection.find_one({"_id": "counter"})["n"] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)

    assert race_collection.find_one({"_id": "counter"})["n"] == 20
    assert race_collection.find_one({"_id": "missing"}) is None

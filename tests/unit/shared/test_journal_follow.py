"""Follow-ups with a version: steps of one document may finish out of order (two instances,
one publisher slower than the other), and an earlier step's follow-up never undoes a later one's."""

from shared.journal import Journal
from tests.fakes.mongo import FakeDatabase


def follow(db: FakeDatabase, write: dict) -> None:
    Journal(db, lambda event: None).follow([write])


def watch(version: int, due: str) -> dict:
    return {"collection": "claim_watches", "_id": "task_1", "replace": {"due": due}, "version": version}


def test_a_later_steps_watch_stays_when_an_earlier_step_finishes_after_it():
    db = FakeDatabase()
    follow(db, watch(5, "10:30"))

    follow(db, watch(4, "10:00"))
    follow(db, {"collection": "claim_watches", "_id": "task_1", "delete": True, "version": 3})

    assert db["claim_watches"].find_one({"_id": "task_1"}) == {"_id": "task_1", "due": "10:30", "version": 5}


def test_a_later_step_replaces_or_drops_an_earlier_steps_watch():
    db = FakeDatabase()
    follow(db, watch(4, "10:00"))
    follow(db, watch(6, "11:00"))
    assert db["claim_watches"].find_one({"_id": "task_1"})["due"] == "11:00"

    follow(db, {"collection": "claim_watches", "_id": "task_1", "delete": True, "version": 7})

    assert db["claim_watches"].find_one({"_id": "task_1"}) is None


def test_a_follow_up_without_a_version_writes_as_it_always_did():
    db = FakeDatabase()
    follow(db, watch(9, "12:00"))

    follow(db, {"collection": "claim_watches", "_id": "task_1", "replace": {"due": "08:00"}})

    assert db["claim_watches"].find_one({"_id": "task_1"}) == {"_id": "task_1", "due": "08:00"}

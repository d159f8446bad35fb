"""Recovery by the sweep: what a dead instance left is finished exactly once, however many live
instances sweep and however often, and a step another sweeper holds is left for later."""

import copy
from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from services.cases import recovery
from services.cases.journal import Journal, pack

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeCollection:
    """The few single-document operations recovery uses, on documents kept by `_id`."""

    def __init__(self):
        self.docs: dict[str, dict] = {}

    def find_one(self, query: dict, projection: dict | None = None) -> dict | None:
        return copy.deepcopy(self.docs.get(query["_id"]))

    def find(self, query: dict) -> list[dict]:
        return copy.deepcopy(list(self.docs.values()))

    def insert_one(self, doc: dict) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("duplicate key")
        self.docs[doc["_id"]] = dict(doc)

    def update_one(self, query: dict, update: dict, upsert: bool = False) -> None:
        doc = self.docs.get(query["_id"])
        if doc is None:
            if not upsert:
                return
            doc = self.docs[query["_id"]] = {"_id": query["_id"]}
        for path, value in update.get("$set", {}).items():
            _put(doc, path, value)
        for path in update.get("$unset", {}):
            head, _, tail = path.partition(".")
            (doc.get(head) or {}).pop(tail, None) if tail else doc.pop(head, None)
        for path, value in update.get("$max", {}).items():
            doc[path] = max(doc.get(path, value), value)

    def delete_one(self, query: dict) -> None:
        self.docs.pop(query["_id"], None)


def _put(doc: dict, path: str, value) -> None:
    head, _, tail = path.partition(".")
    if tail:
        doc.setdefault(head, {})[tail] = value
    else:
        doc[head] = value


class FakeDatabase(dict):
    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection()
        return self[name]


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def dead_instance_with_two_openings(db: FakeDatabase) -> None:
    """An instance that reserved ids 1–2, opened both cases and died before finishing them;
    a sweeper has just claimed the second and died too."""
    db["journal_instances"].insert_one({"_id": "journal_dead", "prefix": "case_dead", "upto": 2, "released": 0,
                                        "seen_at": START - timedelta(minutes=5), "pending": {}})
    for seq in (1, 2):
        opening = {"events": [{"event_id": f"evt_{seq}"}], "counts": {}, "watch": None, "writer": "journal_dead"}
        db["cases"].insert_one({"_id": f"case_dead{seq:08x}", "opening": pack(opening)})
    db["step_claims"].insert_one({"_id": "case_dead00000002:1@journal_dead#0", "at": START})


def sweeper(db: FakeDatabase, clock: Clock, published: list) -> Journal:
    return Journal(db, published.append, takeover_seconds=30, clock=clock)


def test_openings_of_a_dead_instance_are_finished_once_by_two_sweepers_sweeping_again_and_again():
    db, clock, published = FakeDatabase(), Clock(), []
    dead_instance_with_two_openings(db)
    first, second = sweeper(db, clock, published), sweeper(db, clock, published)

    recovery.sweep(first)
    recovery.sweep(second)
    clock.now += timedelta(seconds=31)  # every claim is older than the takeover time now
    recovery.sweep(second)
    recovery.sweep(first)

    assert [e["event_id"] for e in published] == ["evt_1", "evt_2"]
    assert "journal_dead" not in db["journal_instances"].docs


def test_a_dead_instance_is_kept_while_another_sweeper_holds_one_of_its_openings():
    db, clock, published = FakeDatabase(), Clock(), []
    dead_instance_with_two_openings(db)

    recovery.sweep(sweeper(db, clock, published))

    assert [e["event_id"] for e in published] == ["evt_1"]
    assert "journal_dead" in db["journal_instances"].docs


def test_a_listed_step_claimed_by_a_sweeper_that_died_stays_listed_until_its_claim_runs_out():
    db, clock, published = FakeDatabase(), Clock(), []
    key = "case_a:5"
    db["case_steps"].insert_one({"_id": key, "case_id": "case_a", "version": 5, "at": START,
                                 "writer": "journal_dead", "events": [], "counts": {}, "watch": None})
    db["cases"].insert_one({"_id": "case_a", "version": 4})
    db["journal_instances"].insert_one({"_id": "journal_dead", "prefix": "case_dead", "upto": 0, "released": 0,
                                        "seen_at": START - timedelta(minutes=5),
                                        "pending": {key: START - timedelta(minutes=5)}})
    db["step_claims"].insert_one({"_id": f"{key}@{START.isoformat()}#0", "at": START})
    live = sweeper(db, clock, published)

    recovery.sweep(live)
    listed_while_held = key in db["journal_instances"].docs["journal_dead"]["pending"]
    clock.now += timedelta(seconds=31)
    recovery.sweep(live)

    assert listed_while_held
    assert key not in db["case_steps"].docs  # voided: the case never reached version 5
    assert "journal_dead" not in db["journal_instances"].docs

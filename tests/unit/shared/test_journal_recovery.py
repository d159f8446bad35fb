"""Recovery by the sweep: what a dead instance left is finished exactly once, however many live
instances sweep and however often, and a step another sweeper holds is left for later."""

from datetime import UTC, datetime, timedelta

from shared.journal import Journal, sweep
from shared.journal.records import listing_name, pack
from tests.fakes.clock import Clock
from tests.fakes.mongo import FakeDatabase

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def dead_instance_with_two_openings(db: FakeDatabase) -> None:
    """An instance that reserved ids 1–2, opened both cases and died before finishing them;
    a sweeper has just claimed the second and died too."""
    db["journal_instances"].insert_one({"_id": "journal_dead", "prefix": "case_dead", "collection": "cases",
                                        "upto": 2, "released": 0,
                                        "seen_at": START - timedelta(minutes=5), "pending": {}})
    for seq in (1, 2):
        opening = {"events": [{"event_id": f"evt_{seq}"}], "counts": {}, "follow": [], "writer": "journal_dead"}
        db["cases"].insert_one({"_id": f"case_dead{seq:08x}", "opening": pack(opening)})
    db["journal_claims"].insert_one({"_id": "cases:case_dead00000002:1@journal_dead#0", "at": START})


def sweeper(db: FakeDatabase, clock: Clock, published: list) -> Journal:
    return Journal(db, published.append, takeover_seconds=30, fresh_collection="cases", clock=clock)


def test_openings_of_a_dead_instance_are_finished_once_by_two_sweepers_sweeping_again_and_again():
    db, clock, published = FakeDatabase(), Clock(START), []
    dead_instance_with_two_openings(db)
    first, second = sweeper(db, clock, published), sweeper(db, clock, published)

    sweep(first)
    sweep(second)
    clock.now += timedelta(seconds=31)  # every claim is older than the takeover time now
    sweep(second)
    sweep(first)

    assert [e["event_id"] for e in published] == ["evt_1", "evt_2"]
    assert "journal_dead" not in db["journal_instances"].docs


def test_a_dead_instance_is_kept_while_another_sweeper_holds_one_of_its_openings():
    db, clock, published = FakeDatabase(), Clock(START), []
    dead_instance_with_two_openings(db)

    sweep(sweeper(db, clock, published))

    assert [e["event_id"] for e in published] == ["evt_1"]
    assert "journal_dead" in db["journal_instances"].docs


def test_a_listed_step_claimed_by_a_sweeper_that_died_stays_listed_until_its_claim_runs_out():
    db, clock, published = FakeDatabase(), Clock(START), []
    key = "cases:case_a:5"
    listed = listing_name(key, "a1")
    db["journal_steps"].insert_one({"_id": key, "collection": "cases", "doc_id": "case_a", "version": 5,
                                    "at": START, "writer": "journal_dead", "attempt": "a1", "events": [],
                                    "counts": {}, "follow": []})
    db["cases"].insert_one({"_id": "case_a", "version": 4})
    db["journal_instances"].insert_one({"_id": "journal_dead", "prefix": "case_dead", "upto": 0, "released": 0,
                                        "seen_at": START - timedelta(minutes=5),
                                        "pending": {listed: START - timedelta(minutes=5)}})
    db["journal_claims"].insert_one({"_id": f"{key}@{START.isoformat()}#0", "at": START})
    live = sweeper(db, clock, published)

    sweep(live)
    listed_while_held = listed in db["journal_instances"].docs["journal_dead"]["pending"]
    clock.now += timedelta(seconds=31)
    sweep(live)

    assert listed_while_held
    assert key not in db["journal_steps"].docs  # voided: the case never reached version 5
    assert "journal_dead" not in db["journal_instances"].docs

"""The journal killed at each point of a step, then swept by another instance: what was written
is finished (events published, counted once, followed up), what was not is void and its
version free again. Played on in-memory fakes with a clock that is moved by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.journal import Journal, NotApplied, VersionTaken, sweep
from tests.fakes.clock import Clock
from tests.fakes.mongo import Died, FakeDatabase, Fuse

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Broker:
    """Keeps what was published; dies on publish when the fuse says so."""

    def __init__(self, fuse: Fuse):
        self.fuse = fuse
        self.events: list[dict] = []

    def publish(self, event: dict) -> None:
        self.fuse.check("broker", "publish")
        self.events.append(event)


def journal(db: FakeDatabase, broker: Broker, clock: Clock) -> Journal:
    return Journal(db, broker.publish, takeover_seconds=30, fresh_collection="cases", clock=clock)


def update_step(version: int) -> dict:
    return {"collection": "cases", "doc_id": "case_a", "version": version,
            "update": {"$set": {"state": f"s{version}"}, "$push": {"timeline": {"v": version}}},
            "events": [{"event_id": f"evt_{version}", "type": "case_changed"}],
            "counts": {"street:2026-12": {"c.drains.changed": 1}},
            "follow": [{"collection": "deadline_watches", "_id": "case_a", "replace": {"v": version}}]}


def create_step(doc_id: str) -> dict:
    return {"collection": "cases", "doc_id": doc_id, "version": 1, "create": {"state": "reported"},
            "events": [{"event_id": f"evt_{doc_id}", "type": "case_reported"}],
            "counts": {"street:2026-12": {"c.drains.received": 1}},
            "follow": [{"collection": "deadline_watches", "_id": doc_id, "replace": {"v": 1}}]}


def swept_by_another_instance(db: FakeDatabase, broker: Broker, clock: Clock) -> Journal:
    db.fuse.operation = ""  # the dead process is gone; nothing dies any more
    broker.fuse.operation = ""
    clock.now += timedelta(seconds=31)
    other = journal(db, broker, clock)
    sweep(other)
    sweep(other)  # a second round changes nothing
    return other


#: (where the process dies, whether the document was written by then)
UPDATE_CRASHES = [
    (Fuse("update_one", "journal_instances", 1), False),  # listing the step
    (Fuse("insert_many", "journal_steps", 1), False),  # claiming the version
    (Fuse("bulk_write", "cases", 1), False),  # writing the document (a plain update)
    (Fuse("update_one", "cases", 1), False),  # writing the document (a compare-and-set)
    (Fuse("publish", "broker", 1), True),
    (Fuse("update_one", "counters", 1), True),
    (Fuse("replace_one", "deadline_watches", 1), True),
    (Fuse("update_one", "journal_instances", 2), True),  # releasing the step
]


@pytest.mark.parametrize(("fuse", "written"), UPDATE_CRASHES, ids=lambda v: getattr(v, "operation", v))
def test_an_update_killed_at_any_point_is_finished_once_or_void(fuse, written):
    clock = Clock(START)
    db, broker = FakeDatabase(Fuse()), Broker(Fuse())
    db["cases"].insert_one({"_id": "case_a", "version": 1, "state": "s1"})
    dying = journal(db, broker, clock)
    db.fuse.operation, db.fuse.collection, db.fuse.at = fuse.operation, fuse.collection, fuse.at
    broker.fuse.operation = fuse.operation if fuse.collection == "broker" else ""
    step = update_step(2)
    if fuse.operation != "bulk_write":
        step["when"] = {"state": "s1"}  # a compare-and-set: written with update_one

    with pytest.raises(Died):
        dying.commit(step)
    other = swept_by_another_instance(db, broker, clock)

    case = db["cases"].docs["case_a"]
    assert case["version"] == (2 if written else 1)
    assert {e["event_id"] for e in broker.events} == ({"evt_2"} if written else set())
    counter = db["counters"].docs.get("street:2026-12", {})
    assert (counter.get("c") or {}).get("drains", {}).get("changed", 0) == (1 if written else 0)
    assert ("case_a" in db["deadline_watches"].docs) is written
    assert not any(doc.get("pending") for doc in db["journal_instances"].docs.values())
    if not written:  # the version is free again
        other.commit(update_step(2))
        assert db["cases"].docs["case_a"]["version"] == 2


FRESH_CRASHES = [
    (Fuse("insert_many", "cases", 1), False),
    (Fuse("publish", "broker", 1), True),
    (Fuse("update_one", "counters", 1), True),
    (Fuse("replace_one", "deadline_watches", 1), True),
    (Fuse("update_one", "journal_instances", 1), True),  # the release mark
]


@pytest.mark.parametrize(("fuse", "written"), FRESH_CRASHES, ids=lambda v: getattr(v, "operation", v))
def test_a_new_document_with_a_reserved_id_killed_at_any_point_is_finished_once(fuse, written):
    clock = Clock(START)
    db, broker = FakeDatabase(Fuse()), Broker(Fuse())
    dying = journal(db, broker, clock)
    doc_id = dying.new_id()
    db.fuse.operation, db.fuse.collection, db.fuse.at = fuse.operation, fuse.collection, fuse.at
    broker.fuse.operation = fuse.operation if fuse.collection == "broker" else ""

    with pytest.raises(Died):
        dying.commit(create_step(doc_id))
    swept_by_another_instance(db, broker, clock)

    assert (doc_id in db["cases"].docs) is written
    assert {e["event_id"] for e in broker.events} == ({f"evt_{doc_id}"} if written else set())
    counter = db["counters"].docs.get("street:2026-12", {})
    assert (counter.get("c") or {}).get("drains", {}).get("received", 0) == (1 if written else 0)
    assert (doc_id in db["deadline_watches"].docs) is written
    assert dying.ledger.instance not in db["journal_instances"].docs  # the dead instance is forgotten


def test_of_two_writers_at_one_version_exactly_one_wins_and_the_other_hears_of_it():
    clock = Clock(START)
    db, broker = FakeDatabase(), Broker(Fuse())
    db["cases"].insert_one({"_id": "case_a", "version": 1})
    first, second = journal(db, broker, clock), journal(db, broker, clock)

    first.commit(update_step(2))
    with pytest.raises(VersionTaken):
        second.commit(update_step(2))

    assert [e["event_id"] for e in broker.events] == ["evt_2"]
    assert len(db["cases"].docs["case_a"]["timeline"]) == 1


def test_a_compare_and_set_that_no_longer_matches_writes_nothing_and_frees_the_version():
    clock = Clock(START)
    db, broker = FakeDatabase(), Broker(Fuse())
    db["appointments"].insert_one({"_id": "ap1", "version": 1, "status": "ended"})
    j = journal(db, broker, clock)
    step = {"collection": "appointments", "doc_id": "ap1", "version": 2, "update": {"$set": {"status": "ended"}},
            "when": {"status": "appointed"}, "events": [{"event_id": "evt_end"}]}

    with pytest.raises(NotApplied):
        j.commit(step)

    assert broker.events == []
    assert "appointments:ap1:2" not in db["journal_steps"].docs
    j.commit({**step, "when": {"status": "ended"}})
    assert [e["event_id"] for e in broker.events] == ["evt_end"]


def test_a_step_that_cannot_be_encoded_fails_alone_in_its_batch():
    clock = Clock(START)
    db, broker = FakeDatabase(), Broker(Fuse())
    j = journal(db, broker, clock)
    good, bad = create_step(j.new_id()), create_step(j.new_id())
    bad["create"]["description"] = "\ud800 unpaired surrogate"
    waiters = [_Waiter(), _Waiter()]

    j._write_batch([(good, waiters[0]), (bad, waiters[1])])

    assert waiters[0].sent and waiters[0].error is None
    assert waiters[1].error is not None
    assert good["doc_id"] in db["cases"].docs and bad["doc_id"] not in db["cases"].docs


def test_state_counts_unfinished_steps_and_their_age():
    clock = Clock(START)
    db, broker = FakeDatabase(Fuse("publish", "broker")), Broker(Fuse("publish", "broker"))
    db["cases"].insert_one({"_id": "case_a", "version": 1})
    j = journal(db, broker, clock)
    with pytest.raises(Died):
        j.commit(update_step(2))
    clock.now += timedelta(seconds=12)

    state = j.state()

    assert state["unfinished_steps"] == 1
    assert state["oldest_unfinished_seconds"] == 12.0


class _Waiter:
    def __init__(self):
        self.sent, self.error = False, None

    def ready(self) -> bool:
        return self.sent

    def send(self, value) -> None:
        self.sent = True

    def send_exception(self, error) -> None:
        self.sent, self.error = True, error


def test_events_the_broker_refused_are_published_in_order_once_it_takes_them_again(monkeypatch):
    import eventlet

    from shared.journal import journal as journal_module

    monkeypatch.setattr(journal_module, "PUBLISH_RETRY_MAX", 0.05)
    clock = Clock(START)
    db, published, refusals = FakeDatabase(), [], [3]
    db["cases"].insert_one({"_id": "case_a", "version": 1})

    def flaky_broker(event: dict) -> None:
        if refusals[0]:
            refusals[0] -= 1
            raise ConnectionError("broker down")
        published.append(event["event_id"])

    j = Journal(db, flaky_broker, fresh_collection="cases", clock=clock)
    threads = []
    j.start(lambda run, identifier: threads.append(eventlet.spawn(run)))
    for version in (2, 3, 4):
        j.commit(update_step(version))
    for _ in range(200):
        if j.in_flight == 0:
            break
        eventlet.sleep(0.02)
    for thread in threads:
        thread.kill()

    assert published == ["evt_2", "evt_3", "evt_4"]
    assert j.publish_failures == 3 and j.unpublished == set() and j.underway == set()
    assert db["counters"].docs["street:2026-12"]["c"]["drains"]["changed"] == 3


def test_a_write_slower_than_the_takeover_time_is_not_voided_by_its_own_instances_sweep():
    clock = Clock(START)
    db, broker = FakeDatabase(), Broker(Fuse())
    db["cases"].insert_one({"_id": "case_a", "version": 1})
    j = journal(db, broker, clock)
    cases, write = db["cases"], db["cases"].bulk_write

    def slow_write(ops, ordered=True):  # the database restarts meanwhile; the sweep runs
        clock.now += timedelta(seconds=31)
        sweep(j)
        return write(ops, ordered)

    cases.bulk_write = slow_write
    j.commit(update_step(2))

    assert db["cases"].docs["case_a"]["version"] == 2
    assert [e["event_id"] for e in broker.events] == ["evt_2"]
    assert db["counters"].docs["street:2026-12"]["c"]["drains"]["changed"] == 1
    assert "cases:case_a:2" in db["journal_steps"].docs
    assert not db["journal_instances"].docs[j.ledger.instance].get("pending")


def test_a_step_its_own_pipeline_finishes_while_the_sweep_looks_at_an_old_snapshot_is_counted_once():
    clock = Clock(START)
    db, broker = FakeDatabase(), Broker(Fuse())
    db["cases"].insert_one({"_id": "case_a", "version": 1})
    j = journal(db, broker, clock)
    [written] = j._write_batch([(update_step(2), None)])  # listed, in the pipeline (the broker was down)
    clock.now += timedelta(seconds=31)
    pages = j.ledger.pages

    def snapshot_then_the_pipeline_finishes():
        snapshot = pages()
        j._finish_batch(j._publish_all([written]))  # counted under a window mark, released
        j.underway.discard(written["_id"])
        j.counters.add("street:2026-12", {"c.drains.other": 1}, "later-window", ["cases:case_b:2"])  # drops the mark
        return snapshot

    j.ledger.pages = snapshot_then_the_pipeline_finishes
    sweep(j)

    assert db["counters"].docs["street:2026-12"]["c"]["drains"]["changed"] == 1
    assert [e["event_id"] for e in broker.events] == ["evt_2"]


def test_a_step_the_broker_keeps_refusing_is_let_go_to_the_sweep_after_a_third_of_the_takeover_time(monkeypatch):
    import eventlet

    from shared.journal import journal as journal_module

    monkeypatch.setattr(journal_module, "PUBLISH_RETRY_MAX", 0.02)
    clock = Clock(START)
    db, published, broker_up = FakeDatabase(), [], [False]
    db["cases"].insert_one({"_id": "case_a", "version": 1})

    def broker(event: dict) -> None:
        if not broker_up[0]:
            raise ConnectionError("broker down")
        published.append(event["event_id"])

    j = Journal(db, broker, fresh_collection="cases", clock=clock)
    threads = []
    j.start(lambda run, identifier: threads.append(eventlet.spawn(run)))
    j.commit(update_step(2))
    eventlet.sleep(0.1)
    still_held = j.underway == {"cases:case_a:2"}
    clock.now += timedelta(seconds=11)
    for _ in range(100):
        if j.in_flight == 0:
            break
        eventlet.sleep(0.02)
    for thread in threads:
        thread.kill()
    let_go = j.underway == set() and j.unpublished == set()
    broker_up[0] = True
    clock.now += timedelta(seconds=31)
    sweep(j)

    assert still_held and let_go
    assert published == ["evt_2"]
    assert db["counters"].docs["street:2026-12"]["c"]["drains"]["changed"] == 1

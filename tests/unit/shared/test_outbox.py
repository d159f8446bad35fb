"""The transactional outbox against a tiny in-memory stand-in for pymongo."""

import copy
from datetime import timedelta

from shared.outbox import POINTERS, Outbox


class FakeCollection:
    """Only the calls `Outbox` makes: find_one, update_one ($set/upsert, $pullAll), delete_one, find({})."""

    def __init__(self):
        self.docs: dict[str, dict] = {}

    def find_one(self, query, projection=None):
        doc = self.docs.get(query["_id"])
        if doc is None:
            return None
        if projection:
            doc = {k: v for k, v in doc.items() if k == "_id" or k in projection}
        return copy.deepcopy(doc)

    def update_one(self, query, update, upsert=False):
        doc = self.docs.get(query["_id"])
        if doc is None:
            if not upsert:
                return
            doc = self.docs[query["_id"]] = {"_id": query["_id"]}
        for key, value in update.get("$set", {}).items():
            doc[key] = copy.deepcopy(value)
        for key, values in update.get("$pullAll", {}).items():
            doc[key] = [v for v in doc.get(key, []) if v not in values]

    def delete_one(self, query):
        doc = self.docs.get(query["_id"])
        if doc is not None and all(doc.get(k) == v for k, v in query.items()):
            del self.docs[query["_id"]]

    def find(self, query):
        assert query == {}
        return [copy.deepcopy(doc) for doc in self.docs.values()]


class FakeDatabase:
    def __init__(self):
        self.collections: dict[str, FakeCollection] = {}

    def __getitem__(self, name):
        return self.collections.setdefault(name, FakeCollection())


class Broker:
    def __init__(self, failing=False):
        self.failing = failing
        self.published: list[dict] = []

    def publish(self, event):
        if self.failing:
            raise ConnectionError("broker unreachable")
        self.published.append(event)


def event(event_id, kind="appointment_started"):
    return {"event_id": event_id, "type": kind, "payload": {"name": "康早新", "unit": "金昌花园 2栋 1单元"}}


def write_with_events(db, outbox, doc_id, events):
    """What a store does: guard first, then the change and its events in one write."""
    outbox.guard("appointments", doc_id)
    db["appointments"].docs[doc_id] = {"_id": doc_id, "role": "unit_leader", "pending_events": events}


def test_guard_then_relay_publishes_each_pending_event_once_and_clears_them_and_the_pointer():
    db, broker = FakeDatabase(), Broker()
    outbox = Outbox(db, broker.publish)
    write_with_events(db, outbox, "appt_1", [event("evt_1"), event("evt_2")])

    published = outbox.relay("appointments", "appt_1")

    assert published == 2
    assert [e["event_id"] for e in broker.published] == ["evt_1", "evt_2"]
    assert db["appointments"].docs["appt_1"]["pending_events"] == []
    assert db[POINTERS].docs == {}


def test_guard_upserts_one_pointer_named_after_the_collection_and_document():
    db = FakeDatabase()
    outbox = Outbox(db, Broker().publish)

    outbox.guard("appointments", "appt_1")
    outbox.guard("appointments", "appt_1")

    assert list(db[POINTERS].docs) == ["appointments:appt_1"]
    assert {"nonce", "at"} <= set(db[POINTERS].docs["appointments:appt_1"])


def test_a_failed_publish_keeps_the_events_and_the_pointer_and_relay_quietly_does_not_raise():
    db, broker = FakeDatabase(), Broker(failing=True)
    outbox = Outbox(db, broker.publish)
    write_with_events(db, outbox, "appt_1", [event("evt_1")])

    outbox.relay_quietly("appointments", "appt_1")

    assert broker.published == []
    assert [e["event_id"] for e in db["appointments"].docs["appt_1"]["pending_events"]] == ["evt_1"]
    assert list(db[POINTERS].docs) == ["appointments:appt_1"]


def test_a_later_sweep_publishes_what_a_failed_relay_left_behind():
    db, broker = FakeDatabase(), Broker(failing=True)
    outbox = Outbox(db, broker.publish)
    write_with_events(db, outbox, "appt_1", [event("evt_1"), event("evt_2")])
    outbox.relay_quietly("appointments", "appt_1")
    broker.failing = False

    published = outbox.sweep(grace=timedelta(0))

    assert published == 2
    assert [e["event_id"] for e in broker.published] == ["evt_1", "evt_2"]
    assert db["appointments"].docs["appt_1"]["pending_events"] == []
    assert db[POINTERS].docs == {}


def test_a_sweep_leaves_pointers_younger_than_the_grace_period():
    db, broker = FakeDatabase(), Broker()
    outbox = Outbox(db, broker.publish)
    write_with_events(db, outbox, "appt_1", [event("evt_1")])

    published = outbox.sweep(grace=timedelta(minutes=5))

    assert published == 0
    assert broker.published == []
    assert list(db[POINTERS].docs) == ["appointments:appt_1"]


def test_relay_after_the_events_were_already_removed_publishes_nothing():
    db, broker = FakeDatabase(), Broker()
    outbox = Outbox(db, broker.publish)
    write_with_events(db, outbox, "appt_1", [event("evt_1")])
    outbox.relay("appointments", "appt_1")

    published = outbox.relay("appointments", "appt_1")

    assert published == 0
    assert [e["event_id"] for e in broker.published] == ["evt_1"]


def test_relay_of_a_document_that_does_not_exist_publishes_nothing_and_drops_its_pointer():
    db, broker = FakeDatabase(), Broker()
    outbox = Outbox(db, broker.publish)
    outbox.guard("appointments", "appt_gone")

    published = outbox.relay("appointments", "appt_gone")

    assert published == 0
    assert db[POINTERS].docs == {}


def test_a_pointer_re_guarded_during_a_relay_is_kept_for_the_next_relay():
    db, broker = FakeDatabase(), Broker()

    def publish_while_a_writer_re_guards(e):
        broker.publish(e)
        outbox.guard("appointments", "appt_1")

    outbox = Outbox(db, publish_while_a_writer_re_guards)
    write_with_events(db, outbox, "appt_1", [event("evt_1")])

    outbox.relay("appointments", "appt_1")

    assert list(db[POINTERS].docs) == ["appointments:appt_1"]

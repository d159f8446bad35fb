"""The queue of owed calls scans only its hints: a call is found while it is owed, a hint whose
writer has not yet inserted its call is kept (not dropped as an orphan), and a hint left by a
writer that died before inserting its call is dropped after a while."""

from datetime import timedelta

from services.hotline.repository import Queue
from tests.fakes.mongo import FakeDatabase


def test_a_call_is_found_even_when_the_scan_comes_between_its_hint_and_its_insert(clock):
    db = FakeDatabase()
    queue = Queue(db["calls"], db["call_hints"])
    now = clock()
    queue.hints.insert_one({"_id": "T1:sign:received", "due_at": now, "since": now})  # the writer is here
    assert queue.due(now) == []  # a scan meanwhile

    queue.owe({"_id": "T1:sign:received", "ticket_id": "T1", "action": "sign"}, now)  # the writer goes on
    assert [c["_id"] for c in queue.due(now)] == ["T1:sign:received"]


def test_a_hint_whose_call_never_came_is_dropped_after_a_while_and_a_settled_call_leaves_none(clock):
    db = FakeDatabase()
    queue = Queue(db["calls"], db["call_hints"])
    now = clock()
    queue.hints.insert_one({"_id": "T9:sign:received", "due_at": now, "since": now})  # its writer died
    queue.due(now)
    assert queue.hints.count_documents({}) == 1
    queue.due(now + Queue.ORPHAN_AFTER + timedelta(seconds=1))
    assert queue.hints.count_documents({}) == 0

    call, _ = queue.owe({"_id": "T1:reply:e1", "ticket_id": "T1", "action": "reply"}, now)
    taken = queue.take(call, "me", now, timedelta(seconds=60))
    assert queue.due(now) == [] and queue.due(now + timedelta(seconds=61))[0]["_id"] == "T1:reply:e1"
    queue.settle(taken["_id"], "me", {"state": "done"})
    assert queue.hints.count_documents({}) == 0 and queue.find("T1:reply:e1")["state"] == "done"

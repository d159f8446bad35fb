"""Commands sent with a request id: a repeat gets the first answer; a reused id is a conflict."""

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import DuplicateKeyError

from shared.actor import Actor
from shared.errors import Conflict, ValidationFailed
from shared.requests import RequestLog, applied, fingerprint, once, request_key


class FakeCollection:
    def __init__(self):
        self.docs = {}

    def find_one(self, query):
        return self.docs.get(query["_id"])

    def insert_one(self, doc):
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("duplicate key")
        self.docs[doc["_id"]] = dict(doc)

    def delete_many(self, query):
        old = [k for k, doc in self.docs.items() if doc["at"] < query["at"]["$lt"]]
        for key in old:
            del self.docs[key]
        return type("Deleted", (), {"deleted_count": len(old)})()


class FakeStore:
    def __init__(self):
        self.requests = RequestLog(FakeCollection())


class FakeService:
    """A service whose `accept` changes a counter each time it really runs."""

    def __init__(self, who="刘红"):
        self.store = FakeStore()
        self.actor = lambda: Actor(who, "grid_leader")
        self.runs = 0
        self.repeats_audited = []

    def audit_repeat(self, command, answer):
        self.repeats_audited.append((command, answer["case_id"]))

    @once
    def accept(self, **data):
        self.runs += 1
        return {"case_id": data["case_id"], "state": "accepted", "run": self.runs}


def test_a_repeated_request_gets_the_first_answer_and_runs_once():
    service = FakeService()

    first = service.accept(case_id="case_1", request_id="r-1")
    again = service.accept(case_id="case_1", request_id="r-1")

    assert first == again == {"case_id": "case_1", "state": "accepted", "run": 1}
    assert service.runs == 1


def test_calls_without_a_request_id_run_every_time():
    service = FakeService()

    service.accept(case_id="case_1")
    service.accept(case_id="case_1")

    assert service.runs == 2


def test_a_request_id_reused_for_other_arguments_is_a_conflict_naming_it():
    service = FakeService()
    service.accept(case_id="case_1", request_id="r-1")

    with pytest.raises(Conflict) as error:
        service.accept(case_id="case_2", request_id="r-1")

    assert error.value.details == [{"field": "request_id", "reason": "already used for a different request",
                                    "reason_zh": "请求编号（request_id）已用于另一个不同的请求"}]
    assert service.runs == 1


@pytest.mark.parametrize("bad", ["", "   ", "x" * 101, 42, ["r-1"]])
def test_a_malformed_request_id_is_rejected_naming_it(bad):
    service = FakeService()

    with pytest.raises(ValidationFailed) as error:
        service.accept(case_id="case_1", request_id=bad)

    assert error.value.fields == {"request_id": "must be a non-empty string of at most 100 characters"}
    assert service.runs == 0


def test_the_same_request_id_from_two_actors_roles_or_jurisdictions_is_two_requests():
    liu_hong = Actor("刘红", "grid_leader", ("unit_jiayuan", "unit_grid1"))
    key = request_key(liu_hong.key, "accept", "r-1")

    assert key != request_key(Actor("陈平", "grid_leader", liu_hong.jurisdiction).key, "accept", "r-1")
    assert key != request_key(Actor("刘红", "secretary", liu_hong.jurisdiction).key, "accept", "r-1")
    assert key != request_key(Actor("刘红", "grid_leader", ("unit_lianfu", "unit_lianfu_grid1")).key, "accept", "r-1")
    assert key != request_key(liu_hong.key, "resolve", "r-1")


def test_when_a_twin_logged_its_answer_first_that_answer_stands():
    log = RequestLog(FakeCollection())
    asked = fingerprint({"case_id": "case_1"})
    log.remember("k", asked, {"run": 1})

    kept = log.remember("k", asked, {"run": 2})

    assert kept == {"run": 1}


def test_an_answer_holding_a_time_comes_back_as_it_went():
    log = RequestLog(FakeCollection())
    answer = {"person_id": "person_1", "created_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC)}

    log.remember("k", "f", answer)

    assert log.recall("k", "f") == answer


def test_the_fingerprint_ignores_the_request_id_and_key_order():
    assert fingerprint({"a": 1, "b": 2, "request_id": "x"}) == fingerprint({"b": 2, "a": 1, "request_id": "y"})


def test_a_request_is_recognised_in_a_timeline_or_a_history_by_its_id_and_actor():
    timeline = [{"seq": 2, "actor": {"who": "刘红"}, "request_id": "r-1"}]
    history = [{"status": "screened", "by": "陈平", "request_id": "r-9"}]

    assert applied(timeline, "r-1", "刘红")
    assert not applied(timeline, "r-1", "陈平")
    assert applied(history, "r-9", "陈平")
    assert not applied(history, None, "陈平")


def test_an_answer_given_again_from_the_log_is_audited_as_a_read():
    service = FakeService()

    service.accept(case_id="case_1", request_id="r-1")
    service.accept(case_id="case_1", request_id="r-1")

    assert service.repeats_audited == [("accept", "case_1")]


def test_answers_older_than_the_keeping_time_are_forgotten_at_most_once_an_hour():
    log = RequestLog(FakeCollection(), keep_days=7)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    log.coll.docs = {"old": {"_id": "old", "at": now - timedelta(days=8)},
                     "new": {"_id": "new", "at": now - timedelta(days=6)}}

    forgotten = log.expire(now)
    log.coll.docs["older"] = {"_id": "older", "at": now - timedelta(days=9)}
    too_soon = log.expire(now + timedelta(minutes=10))

    assert (forgotten, too_soon) == (1, 0)
    assert set(log.coll.docs) == {"new", "older"}


@pytest.mark.parametrize("arguments", [{"request_id": "r-\ud800"}, {"request_id": "r-1", "note": "好\ud800"},
                                       {"request_id": "r-1", "note": "a\x00b"}])
def test_a_repeatable_command_with_text_that_cannot_be_stored_is_refused_naming_the_field(arguments):
    service = FakeService()

    with pytest.raises(ValidationFailed) as error:
        service.accept(case_id="case_1", **arguments)

    assert set(error.value.fields) <= {"request_id", "note"} and error.value.fields
    assert service.runs == 0

"""The consumer's ledger against the unit tests' in-memory collection and against the real
database: both must give the same answers, or the unit tests prove nothing."""

import pytest

from shared.consuming.ledger import BUSY, Claim, EventLedger, Settled
from shared.consuming.settings import ConsumerSettings
from tests.unit.shared.fakes_consumer import FakeClock, FakeCollection

HANDLER = "on_case_dispatched"
TAKEOVER = ConsumerSettings(takeover_seconds=30).takeover


@pytest.fixture(params=["in-memory", "database"])
def ledger(request):
    clock = FakeClock()
    if request.param == "in-memory":
        records = FakeCollection()
    else:
        db = request.getfixturevalue("probe_db")
        records = db["consumed_events"]
    ledger = EventLedger(records, TAKEOVER, clock)
    ledger.ensure_indexes()
    return ledger


def test_of_two_claims_of_one_event_the_first_holds_it_and_the_second_is_told_to_wait(ledger):
    first = ledger.claim(HANDLER, "evt_1", "case_dispatched")

    second = ledger.claim(HANDLER, "evt_1", "case_dispatched")

    assert isinstance(first, Claim) and first.attempts == 0
    assert second is BUSY


def test_a_handled_event_is_settled_with_its_effect_for_every_later_claim(ledger):
    claim = ledger.claim(HANDLER, "evt_1", "case_dispatched")
    ledger.handled(claim, {"notice_id": "notice_1", "收件人": "嘉园社区"}, 1)

    later = ledger.claim(HANDLER, "evt_1", "case_dispatched")

    assert later == Settled("handled", {"notice_id": "notice_1", "收件人": "嘉园社区"})


def test_a_lease_is_taken_over_only_after_it_ran_out_and_then_by_one_claimant(ledger):
    stale = ledger.claim(HANDLER, "evt_1", "case_dispatched")
    ledger.note_failure(stale, "GatewayRefused: 短信网关繁忙", 2)
    ledger.clock.advance(29)
    early = ledger.claim(HANDLER, "evt_1", "case_dispatched")
    ledger.clock.advance(1)

    taken = ledger.claim(HANDLER, "evt_1", "case_dispatched")
    again = ledger.claim(HANDLER, "evt_1", "case_dispatched")

    assert early is BUSY
    assert isinstance(taken, Claim) and taken.token != stale.token and taken.attempts == 2
    assert again is BUSY
    assert ledger.handled(stale, "late", 3) is False
    assert ledger.renew(stale) is False
    assert ledger.handled(taken, "on time", 3) is True


def test_a_parked_event_is_listed_counted_and_claimed_for_one_replay_at_a_time(ledger):
    event = {"event_id": "evt_1", "type": "case_dispatched", "payload": {"unit": "金昌花园 2栋 1单元"}}
    claim = ledger.claim(HANDLER, "evt_1", "case_dispatched")
    ledger.park(claim, event, "GatewayRefused: 短信模板未通过审核", 4)
    [record] = ledger.parked(HANDLER)

    replay = ledger.claim_parked(record)
    twin = ledger.claim_parked(record)

    assert (record["event"], record["error"], record["attempts"]) == (event, "GatewayRefused: 短信模板未通过审核", 4)
    assert isinstance(replay, Claim) and replay.attempts == 4
    assert twin is None
    assert ledger.claim(HANDLER, "evt_1", "case_dispatched") == Settled("parked")
    assert ledger.counts() == {"handled": 0, "parked": 1, "in_retry": 0, "running": 0}


def test_counts_tell_handled_parked_in_retry_and_running_apart_per_handler(ledger):
    handled = ledger.claim(HANDLER, "evt_1", "case_dispatched")
    ledger.handled(handled, None, 1)
    parked = ledger.claim(HANDLER, "evt_2", "case_dispatched")
    ledger.park(parked, {"event_id": "evt_2"}, "KeyError: 'payload'", 4)
    retrying = ledger.claim(HANDLER, "evt_3", "case_dispatched")
    ledger.note_failure(retrying, "GatewayRefused: 短信网关繁忙", 1)
    ledger.claim(HANDLER, "evt_4", "case_dispatched")
    ledger.claim("on_case_closed", "evt_1", "case_closed")

    counted = ledger.counts(HANDLER), ledger.counts("on_case_closed")

    assert counted == ({"handled": 1, "parked": 1, "in_retry": 1, "running": 1},
                       {"handled": 0, "parked": 0, "in_retry": 0, "running": 1})
    assert [r["event_id"] for r in ledger.records_of("evt_1")] == ["evt_1", "evt_1"]

"""Calls out: the case's resolution is replied once however often its event comes; a platform
that is down is tried again with growing pauses and gets each call once when it is back; tries
are bounded, then the call is parked, visible and replayable; a refusal is parked at once; an
extension asked on the case is asked of the platform, whose answer decides it; a return only
within its window."""

import pytest

from services.hotline import repository
from shared.errors import InvalidTransition
from shared.journal.records import step_key
from tests.fakes.mongo import Died
from tests.service.hotline.conftest import SECRETARY, case_event, ticket


@pytest.fixture
def signed(service_as, platform, run_timers):
    """Ticket A1 received, its case opened and the ticket signed."""
    platform.feed = [ticket("A1")]
    run_timers()
    assert service_as().get_ticket(ticket_id="fake:A1")["state"] == "signed"


def test_a_resolved_case_is_replied_once_however_often_its_event_comes(service_as, platform, broker, signed,
                                                                       run_timers):
    event = case_event("case_resolved", "fake:A1", result="已协调商铺将外机移至楼顶")
    for _ in range(3):
        service_as().consumer.handle("on_case_resolved", event)
    run_timers()

    [reply] = platform.calls("reply")
    assert reply.result == "已协调商铺将外机移至楼顶" and reply.ticket_no == "A1"
    assert platform.repeats == 0
    [replied] = broker.of("ticket_replied")
    assert replied["payload"]["ticket_id"] == "fake:A1" and replied["payload"]["state"] == "replied"
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["state"] == "replied" and len(view["replies"]) == 1 and view["replies"][0]["on_time"] is True


def test_an_event_of_another_channel_or_ticket_is_left_alone(service_as, platform, signed, run_timers):
    other = case_event("case_resolved", "fake:A1", result="x")
    other["payload"]["channel"] = "visit"
    assert service_as().on_case_resolved(other) == {"skipped": "not a ticket of this service"}
    assert service_as().on_case_resolved(case_event("case_resolved", "fake:ZZ", result="x"))["skipped"]
    run_timers()
    assert platform.calls("reply") == []


def test_a_platform_down_gets_the_reply_once_when_it_is_back(service_as, platform, signed, clock, run_timers):
    platform.down = True
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已处理"))
    run_timers(rounds=6)
    [call] = [c for c in service_as().get_ticket(ticket_id="fake:A1")["calls"] if c["action"] == "reply"]
    assert call["state"] == "queued" and 1 <= call["attempts"] < 5 and "503" in call["last_error"]

    platform.down = False
    clock.move(minutes=2)
    run_timers()
    assert len(platform.calls("reply")) == 1 and platform.repeats == 0
    [call] = [c for c in service_as().get_ticket(ticket_id="fake:A1")["calls"] if c["action"] == "reply"]
    assert call["state"] == "done"


def test_waits_grow_between_tries_while_the_platform_is_down(service_as, platform, signed, clock):
    platform.down = True
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已处理"))
    waits = []
    for _ in range(4):
        call = service_as().store.calls.listed({"action": "reply"}, 1)[0]
        clock.now = max(clock.now, call["due_at"])
        service_as().send_calls()
        after = service_as().store.calls.find(call["_id"])
        waits.append((after["due_at"] - clock.now).total_seconds())
    assert waits == [2.0, 4.0, 8.0, 16.0]  # first 2 s, doubling (no jitter in these settings)


def test_tries_are_bounded_then_the_call_is_parked_visible_and_replayable(service_as, platform, broker, signed,
                                                                          clock, run_timers):
    platform.down = True
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已处理"))
    for _ in range(8):
        run_timers(rounds=1)
        clock.move(minutes=2)

    [parked] = service_as().parked(kind="call")["parked"]
    assert parked["state"] == "parked" and parked["attempts"] == 5 and "gave up after 5 tries" in parked["reason"]
    assert [e["payload"]["detail"]["action"] for e in broker.of("ticket_parked")] == ["reply"]
    assert platform.calls("reply") == []

    platform.down = False
    answer = service_as(SECRETARY).replay(parked_id=parked["parked_id"])
    assert answer["outcome"] == "done"
    assert len(platform.calls("reply")) == 1
    with pytest.raises(Exception) as again:
        service_as(SECRETARY).replay(parked_id=parked["parked_id"])
    assert again.value.details[0]["field"] == "parked_id"


def test_a_refused_call_is_parked_at_once_with_the_platforms_reason(service_as, platform, signed, run_timers):
    platform.refuse["reply"] = "HTTP 409: 工单未签收"
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已处理"))
    run_timers()

    [parked] = service_as().parked(kind="call")["parked"]
    assert parked["reason"] == "refused by the platform: HTTP 409: 工单未签收" and parked["attempts"] == 0


def test_a_sender_dying_after_the_platform_took_the_call_sends_it_again_with_its_key_and_it_counts_once(
        service_as, platform, signed, db, clock, run_timers):
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已处理"))
    db.fuse.operation, db.fuse.collection, db.fuse.at, db.fuse.seen = "update_one", "calls", 1, 0
    with pytest.raises(Died):
        service_as().send_calls()  # took the call, the platform took it, died before marking it
    db.fuse.operation, db.fuse.collection = "", None

    clock.move(minutes=2)  # the lease runs out
    run_timers()
    assert len(platform.calls("reply")) == 1 and platform.repeats == 1  # the same key: the platform dropped it
    assert len(service_as().get_ticket(ticket_id="fake:A1")["replies"]) == 1


def test_a_reply_the_platform_took_while_a_dead_writer_held_the_tickets_next_version_is_recorded_once_later(
        service_as, platform, broker, signed, db, clock, run_timers, monkeypatch):
    pauses = []
    monkeypatch.setattr(repository, "pause", pauses.append)
    ticket_doc = db["tickets"].find_one({"_id": "fake:A1"})
    held = step_key("tickets", "fake:A1", ticket_doc["version"] + 1)
    db["journal_steps"].insert_one({"_id": held})  # a writer took the next version and died before writing it
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已处理"))

    service_as().send_calls()
    assert len(platform.calls("reply")) == 1 and len(pauses) == repository.MAX_TRIES - 1 and max(pauses) == 0.5
    [call] = db["calls"].find({"action": "reply"})
    assert call["state"] == "queued" and call["waiting_for"] == "ticket"  # not done: the ticket has not recorded it
    assert service_as().get_ticket(ticket_id="fake:A1")["replies"] == []

    db["journal_steps"].delete_one({"_id": held})  # the journal's sweep settled the dead writer's step
    clock.move(seconds=5)
    run_timers()
    assert len(platform.calls("reply")) == 1 and platform.repeats == 1
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["state"] == "replied" and len(view["replies"]) == 1
    assert len(broker.of("ticket_replied")) == 1


def test_an_extension_asked_on_the_case_is_decided_by_the_platforms_answer(service_as, platform, cases, signed,
                                                                            run_timers):
    event = case_event("case_extension_requested", "fake:A1", working_days=5, reason="需协调商铺")
    service_as().on_extension_requested(event)
    service_as().on_extension_requested(event)
    run_timers()

    [asked] = platform.calls("extend")
    assert asked.working_days == 5 and asked.reason == "需协调商铺"
    [decided] = cases.of("decide_extension")
    assert decided["granted"] is True and decided["note"] == "12345同意延期"
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["extension"]["granted"] is True and view["deadlines"]["reply"] == "2026-12-15T10:00:00.000+00:00"


def test_a_return_goes_out_within_its_window_and_not_after(service_as, platform, signed, clock, run_timers):
    view = service_as(SECRETARY).return_ticket(ticket_id="fake:A1", reason="不属本社区辖区，应由联福社区办理")
    assert view["state"] == "returned"
    [call] = platform.calls("return")
    assert call.reason == "不属本社区辖区，应由联福社区办理"

    platform.feed += [ticket("A2")]
    run_timers()
    clock.move(days=5)
    with pytest.raises(InvalidTransition) as late:
        service_as(SECRETARY).return_ticket(ticket_id="fake:A2", reason="不属本辖区")
    assert late.value.details[0]["reason"] == "the return window has passed"
    with pytest.raises(InvalidTransition):
        service_as(SECRETARY).return_ticket(ticket_id="fake:A1", reason="再退一次")


def test_a_reply_waits_for_the_signature(service_as, platform, run_timers, clock):
    platform.feed = [ticket("A1")]
    service_as().pull_platforms()
    service_as().push_case_calls()  # the case opened, the sign queued but not sent
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已处理"))
    platform.down = True
    clock.move(seconds=5)
    service_as().send_calls()
    assert platform.calls("reply") == []
    platform.down = False
    clock.move(minutes=1)
    run_timers()
    taken = [kind for kind, _ in platform.taken.values()]
    assert taken == ["sign", "reply"]


def test_what_a_callers_command_makes_of_owed_calls_goes_to_cases_as_the_service_and_the_read_is_the_callers(
        service_as, platform, cases, clock, run_timers):
    platform.feed = [ticket("A1"), ticket("A2")]
    cases.down = True
    run_timers()  # A1 and A2 are here; their cases wait for cases to answer
    cases.down = False
    clock.move(minutes=5)

    secretary = service_as(SECRETARY)
    seen_as = []
    cases.watch = lambda method: seen_as.append((method, secretary.actor().who))
    secretary.return_ticket(ticket_id="fake:A1", reason="不属本社区辖区")

    assert ("report", "hotline") in seen_as and all(who == "hotline" for _, who in seen_as)
    [read] = list(secretary.store.pii_reads.coll.find({"rpc": "return_ticket"}))
    assert read["actor"]["who"] == "曾玉琴"

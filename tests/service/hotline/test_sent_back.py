"""A hotline case sent back (退回来源) returns its ticket to the platform (退单) with the case's
reason, once however often the event comes; a ticket past its return window has the return
parked at once, visible to staff; a case of another channel is left alone."""

import pytest

from tests.service.hotline.conftest import case_event, ticket

REASON = "事发地属联福社区辖区，请重新派单"


@pytest.fixture
def signed(service_as, platform, run_timers):
    """Ticket A1 received, its case opened and the ticket signed."""
    platform.feed = [ticket("A1")]
    run_timers()
    assert service_as().get_ticket(ticket_id="fake:A1")["state"] == "signed"


def sent_back(ticket_ref: str = "fake:A1", **payload) -> dict:
    event = case_event("case_sent_back", ticket_ref, reason=REASON)
    event["payload"].update({"state": "sent_back", "from_state": "triaged", **payload})
    return event


def test_a_case_sent_back_returns_its_ticket_once_with_the_reason_however_often_the_event_comes(
        service_as, platform, broker, signed, run_timers):
    event = sent_back()

    for _ in range(3):
        service_as().consumer.handle("on_case_sent_back", event)
    run_timers()

    [returned] = platform.calls("return")
    assert (returned.reason, returned.ticket_no) == (REASON, "A1")
    assert platform.repeats == 0
    view = service_as().get_ticket(ticket_id="fake:A1")
    assert view["state"] == "returned"
    assert [(c["action"], c["state"]) for c in view["calls"]] == [("return", "done")]  # signed as its case opened
    assert service_as().parked(kind="call")["parked"] == [] and broker.of("ticket_parked") == []


def test_a_case_sent_back_after_the_return_window_has_its_return_parked_and_visible(service_as, platform, broker,
                                                                                     signed, clock, run_timers):
    clock.move(days=5)
    event = sent_back()

    answers = [service_as().consumer.handle("on_case_sent_back", event) for _ in range(3)]
    run_timers()

    assert answers[0]["not_returnable"] == "the return window has passed"
    assert platform.calls("return") == []
    [parked] = service_as().parked(kind="call")["parked"]
    assert (parked["action"], parked["state"], parked["ticket_id"]) == ("return", "parked", "fake:A1")
    assert parked["reason"] == "the return window has passed" and parked["call_reason"] == REASON
    [told] = broker.of("ticket_parked")
    assert told["payload"]["detail"] == {"kind": "call", "parked_id": parked["parked_id"], "action": "return",
                                         "reason": "the return window has passed"}
    assert service_as().get_ticket(ticket_id="fake:A1")["state"] == "signed"


def test_a_parked_return_keeps_the_cases_reason_and_goes_out_with_it_when_replayed(service_as, platform, clock,
                                                                                   signed, run_timers):
    platform.refuse["return"] = "HTTP 503: 平台维护中"
    service_as().on_case_sent_back(sent_back())
    run_timers()
    [parked] = service_as().parked(kind="call")["parked"]
    assert parked["reason"] == "refused by the platform: HTTP 503: 平台维护中" and parked["call_reason"] == REASON

    del platform.refuse["return"]
    service_as().replay(parked_id=parked["parked_id"])
    run_timers()
    [returned] = platform.calls("return")
    assert returned.reason == REASON
    assert service_as().get_ticket(ticket_id="fake:A1")["state"] == "returned"


def test_a_case_sent_back_after_its_ticket_was_replied_has_the_return_parked_naming_the_state(
        service_as, platform, signed, run_timers):
    service_as().on_case_resolved(case_event("case_resolved", "fake:A1", result="已协调商铺将外机移至楼顶"))
    run_timers()

    service_as().on_case_sent_back(sent_back())
    run_timers()

    assert platform.calls("return") == []
    [parked] = service_as().parked(kind="call")["parked"]
    assert parked["reason"] == "the ticket is replied; a return needs it received or signed"


def test_an_event_of_another_channel_or_ticket_is_left_alone(service_as, platform, signed, run_timers):
    walk_in = sent_back(channel="walk_in")

    assert service_as().on_case_sent_back(walk_in) == {"skipped": "not a ticket of this service"}
    assert service_as().on_case_sent_back(sent_back("fake:ZZ"))["skipped"]
    run_timers()

    assert platform.calls("return") == []
    assert service_as().get_ticket(ticket_id="fake:A1")["state"] == "signed"
    assert service_as().get_ticket(ticket_id="fake:A1")["calls"] == []

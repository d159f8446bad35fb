"""退回来源: a case that is not this community's goes back to where it came from, with the
reason, from any state before it is dispatched; it ends there, and its event carries the
reason (for a 12345 case, the hotline returns the ticket with it)."""

import pytest

from shared.errors import Forbidden, InvalidTransition, ValidationFailed
from tests.service.cases.making import case_in, step
from tests.service.street import KANG, ZENG

REASON = "事发地属联福社区辖区，退回12345重新派单"


@pytest.mark.parametrize("state", ["reported", "escalated", "triaged"])
def test_a_case_not_yet_dispatched_is_sent_back_with_the_reason_and_its_event_carries_it(service_as, store, roster,
                                                                                         clock, state):
    case = case_in(state, store, roster, clock, channel="hotline", external_ref="fake:A1")

    answer = service_as(ZENG).send_back(case_id=case["_id"], reason=REASON)

    assert (answer["state"], answer["sent_back_reason"]) == ("sent_back", REASON)
    assert answer["timeline"][-1]["action"] == "send_back" and answer["timeline"][-1]["detail"] == {"reason": REASON}
    [event] = store.journal.events("case_sent_back")
    payload = event["payload"]
    assert (payload["state"], payload["from_state"], payload["detail"]) == ("sent_back", state, {"reason": REASON})
    assert (payload["channel"], payload["external_ref"]) == ("hotline", "fake:A1")
    assert case["_id"] not in store.watches.docs  # ended: no deadline is watched any more


@pytest.mark.parametrize("state", ["dispatched", "accepted", "in_progress"])
def test_a_case_already_dispatched_is_not_sent_back_and_the_refusal_names_its_state(service_as, store, roster, clock,
                                                                                    state):
    case = case_in(state, store, roster, clock)
    before = store.snapshot()

    with pytest.raises(InvalidTransition) as refused:
        service_as(ZENG).send_back(case_id=case["_id"], reason=REASON)

    assert refused.value.details[0]["current_state"] == state
    assert store.snapshot() == before and store.journal.events("case_sent_back") == []


def test_a_case_sent_back_has_ended_and_takes_no_further_step(service_as, store, roster, clock):
    case = case_in("escalated", store, roster, clock)
    service_as(ZENG).send_back(case_id=case["_id"], reason=REASON)

    with pytest.raises(InvalidTransition) as again:
        service_as(ZENG).send_back(case_id=case["_id"], reason="再退一次")
    with pytest.raises(InvalidTransition) as triaged:
        step(store, roster, clock, case["_id"], "triage", {"category": None, "urgency": None, "note": None})

    assert again.value.details[0]["current_state"] == triaged.value.details[0]["current_state"] == "sent_back"
    assert len(store.journal.events("case_sent_back")) == 1


def test_a_resolved_case_is_not_sent_back(service_as, store, roster, clock):
    case = case_in("in_progress", store, roster, clock)
    step(store, roster, clock, case["_id"], "resolve", {"result": "康师傅疏通了下水道"})

    with pytest.raises(InvalidTransition) as refused:
        service_as(ZENG).send_back(case_id=case["_id"], reason=REASON)

    assert refused.value.details[0]["current_state"] == "resolved"


def test_a_repeat_of_the_same_request_gets_the_first_answer_and_one_event(service_as, store, roster, clock):
    case = case_in("triaged", store, roster, clock)

    first = service_as(ZENG).send_back(case_id=case["_id"], reason=REASON, request_id="r-back-1")
    again = service_as(ZENG).send_back(case_id=case["_id"], reason=REASON, request_id="r-back-1")

    assert again == first
    assert len(store.journal.events("case_sent_back")) == 1


def test_sending_back_needs_a_reason(service_as, store, roster, clock):
    case = case_in("reported", store, roster, clock)

    with pytest.raises(ValidationFailed) as refused:
        service_as(ZENG).send_back(case_id=case["_id"])

    assert "reason" in refused.value.fields


def test_a_unit_leader_may_not_send_a_case_back(service_as, store, roster, clock):
    case = case_in("reported", store, roster, clock)
    before = store.snapshot()

    with pytest.raises(Forbidden) as refused:
        service_as(KANG).send_back(case_id=case["_id"], reason=REASON)

    assert refused.value.details[0]["field"] == "role"
    assert store.snapshot() == before

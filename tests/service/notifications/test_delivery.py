"""A message's way out: retried with backoff on a temporary failure and sent once when the
channel recovers; passed to the person's next channel when one fails for good; parked, listed
and replayed when every channel failed; queued, never dropped, at a channel's rate limit."""

import pytest

from services.notifications.channel import PermanentFailure, TemporaryFailure
from services.notifications.exceptions import NotParked
from shared.actor import Actor
from shared.errors import Forbidden
from tests.service.notifications.conftest import SECRETARY, deliver

URGENT = {"title": "燃气泄漏", "body": "8栋1单元燃气泄漏，请立即处置，联系13900001111"}


def notify_unit_leader(service_as, urgency="critical") -> dict:
    """A notice to 8栋1单元's unit leader (p1) alone; returns their message."""
    notice = service_as(SECRETARY).notify(to=[{"node_id": "unit_b8u1"}], fields=URGENT, urgency=urgency)
    service_as().resume_fan_outs()
    [message] = service_as(SECRETARY).list_messages(notice_id=notice["notice_id"])["messages"]
    return message


def status(service_as, message) -> dict:
    return service_as(SECRETARY).message_status(message_id=message["message_id"])


def test_a_channel_failing_three_times_then_recovering_sends_one_message(service_as, channels, clock, broker):
    channels["sms"].fail(TemporaryFailure("HTTP 503"), TemporaryFailure("timeout"), TemporaryFailure("HTTP 502"))
    message = notify_unit_leader(service_as)
    for _ in range(4):
        deliver(service_as)
        clock.move(minutes=1)  # past every backoff of the first tries

    after = status(service_as, message)
    assert len(channels["sms"].sent) == 1
    assert (after["state"], after["channel_used"], after["attempts"], after["failed"]) == ("sent", "sms", 4, 3)
    assert [e["type"] for e in broker.published] == ["notice_sent"]


def test_a_failure_waits_longer_each_time(service_as, channels, clock):
    channels["sms"].broken = TemporaryFailure("HTTP 503")
    message = notify_unit_leader(service_as)
    waits = []
    for _ in range(3):
        deliver(service_as)
        due = status(service_as, message)["due_at"]
        waits.append(due)
        clock.move(minutes=15)

    assert waits[0] < waits[1] < waits[2]


def test_a_channel_failing_for_good_falls_back_to_the_next_and_parks_the_message_when_none_is_left(
        service_as, channels, clock, broker):
    service_as(Actor("p1", "unit_leader", ())).set_preferences(channels=["email", "sms", "wecom_robot"],
                                                               addresses={"email": "kang@example.com"})
    channels["email"].broken = PermanentFailure("SMTP 550 no such user")
    message = notify_unit_leader(service_as)
    deliver(service_as)

    fell_back = status(service_as, message)
    assert fell_back["state"] == "sent" and fell_back["channel_used"] == "sms"
    assert [(a["channel"], a["outcome"], a.get("gave_up")) for a in fell_back["log"]] == [
        ("email", "refused", True), ("sms", "sent", None)]
    assert [(g["channel"], g["reason"]) for g in fell_back["given_up"]] == [("email", "SMTP 550 no such user")]
    listed = service_as(SECRETARY).parked_messages(fell_back=True)["messages"]
    assert [m["message_id"] for m in listed] == [message["message_id"]]

    channels["sms"].broken = PermanentFailure("HTTP 400 bad number")
    channels["wecom_robot"].broken = PermanentFailure("errcode 93000")
    parked = notify_unit_leader(service_as)  # a second notice, every channel refusing it
    deliver(service_as)

    listed = service_as(SECRETARY).parked_messages()["messages"]
    assert [m["message_id"] for m in listed] == [parked["message_id"]]
    assert listed[0]["reason"] == "wecom_robot: errcode 93000"
    assert [e["type"] for e in broker.published] == ["notice_sent", "notice_failed"]

    channels["email"].broken = None
    service_as(SECRETARY).replay_message(message_id=parked["message_id"])
    deliver(service_as)
    assert status(service_as, parked)["state"] == "sent" and len(channels["email"].sent) == 1
    with pytest.raises(NotParked):
        service_as(SECRETARY).replay_message(message_id=parked["message_id"])


def test_a_channel_at_its_rate_limit_queues_the_rest_for_the_next_minute(service_as, channels, clock):
    for n in (1, 2, 3):
        service_as(Actor(f"p{n}", "unit_leader", ())).set_preferences(channels=["wecom_robot"])
    service_as(SECRETARY).notify(to=[{"node_id": "unit_grid1"}], fields=URGENT, urgency="critical")
    deliver(service_as)
    assert len(channels["wecom_robot"].sent) == 2  # its limit: 2 a minute

    clock.move(minutes=1)
    deliver(service_as)
    assert len(channels["wecom_robot"].sent) == 3


def test_numbers_in_a_message_are_masked_and_addresses_are_masked_for_staff(service_as, channels, clock):
    message = notify_unit_leader(service_as)
    deliver(service_as)

    assert "139****1111" in channels["sms"].sent[0].body
    assert status(service_as, message)["addresses"]["phone"] == "138****0001"
    assert service_as().message_status(message_id=message["message_id"])["addresses"]["phone"] == "13807310001"


def test_a_person_sees_their_own_messages_and_inbox_only(service_as, clock):
    message = notify_unit_leader(service_as)
    own = service_as(Actor("p1", "unit_leader", ())).message_status(message_id=message["message_id"])
    with pytest.raises(Forbidden):
        service_as(Actor("p2", "resident", ())).message_status(message_id=message["message_id"])
    with pytest.raises(Forbidden) as other_inbox:
        service_as(Actor("p2", "resident", ())).inbox(person_id="p1")
    items = service_as(Actor("p1", "unit_leader", ())).inbox()["items"]
    marked = service_as(Actor("p1", "unit_leader", ())).mark_read(item_ids=[items[0]["item_id"]])

    assert own["person_id"] == "p1"
    assert [d["field"] for d in other_inbox.value.details] == ["person_id"]
    assert marked["marked"] == 1 and service_as(Actor("p1", "unit_leader", ())).inbox()["unread"] == 0


def test_senders_read_only_what_is_still_to_send(service_as, channels, clock, store):
    service_as(SECRETARY).notify(to=[{"people": ["p_unknown"]}], fields=URGENT, urgency="critical")  # inbox only
    channels["sms"].fail(TemporaryFailure("HTTP 503"))
    message = notify_unit_leader(service_as)
    deliver(service_as)
    waiting = {h["_id"] for h in store.pending.coll.find()}
    clock.move(minutes=1)
    deliver(service_as)

    assert waiting == {message["message_id"]}
    assert store.pending.coll.count_documents({}) == 0 and status(service_as, message)["state"] == "sent"

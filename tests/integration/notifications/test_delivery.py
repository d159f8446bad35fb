"""Notices through the real broker and database to the local providers: one message per person
and channel however often a notice or an event arrives; a channel failing three times then
recovering gives one message; a channel failing for good falls back to the next and the first
is logged as given up; with every channel failing the message is parked, and replayed once the
provider is back."""

from nameko.testing.services import entrypoint_waiter

from services.cases.intake import event_payload
from shared.events import envelope
from shared.mongo import EventPublisher
from shared.stack.ports import wait_until
from tests.events import after_runs
from tests.integration.cases.conftest import drain_report

ESTATE = "嘉园社区/金昌花园"
UNIT = "嘉园社区/金昌花园/2栋/1单元"
GAS = {"title": "燃气检修", "body": "金昌花园今晚 20:00 燃气检修，请关闭阀门"}


def leaders_of(rosters, node_id: str) -> dict[str, str]:
    """person_id → phone of everyone appointed at the node or below."""
    return {a["person_id"]: a["phone"] for a in rosters.appointments(node_id=node_id, status="appointed", limit=200)}


def texts(endpoints, about: str) -> list[dict]:
    """The SMS requests whose text says `about` (the demo street's own notices, such as its
    leaders' appointments, may reach the gateway too)."""
    return [r for r in endpoints.received("/sms") if about in r["body"]["text"]]


def sms_to(endpoints, about: str = "燃气检修") -> list[str]:
    return [r["body"]["to"] for r in texts(endpoints, about)]


def message_of(notifications, notice_id: str) -> dict:
    [message] = notifications.list_messages(notice_id=notice_id)["messages"]
    return message


def test_a_critical_notice_reaches_every_leader_once_however_often_it_is_sent(notifications, rosters, place,
                                                                            endpoints):
    chain = rosters.responsible_chain(unit_id=place(UNIT))
    nearest = [level for level in chain if level["leaders"]][:2]
    leaders = {**leaders_of(rosters, place(ESTATE)),
               **{p["person_id"]: p["phone"] for level in nearest for p in level["leaders"]}}
    sent = [notifications.notify(to=[{"node_id": place(ESTATE)}, {"chain_of": place(UNIT), "levels": 2}],
                                 fields=GAS, urgency="critical", idempotency_key="gas-1201") for _ in range(3)]

    wait_until(lambda: len(sms_to(endpoints)) >= len(leaders), 20, "an SMS per leader")
    status = notifications.notice_status(notice_id=sent[0]["notice_id"])

    assert len({n["notice_id"] for n in sent}) == 1
    assert sorted(sms_to(endpoints)) == sorted(leaders.values())
    assert status["state"] == "done" and status["messages"] == {"sent": len(leaders)}


def test_the_same_case_event_delivered_twice_sends_one_message_per_recipient(notifications_service, notifications,
                                                                           cases, cases_db, rosters, place, stack,
                                                                           endpoints):
    leader_id, phone = next(iter(leaders_of(rosters, place(UNIT)).items()))
    case = cases.triage(case_id=cases.escalate(case_id=cases.report(**drain_report(place(UNIT)),
                                                                    urgency="critical")["case_id"])["case_id"])
    stored = cases_db["cases"].find_one({"_id": case["case_id"]})
    event = envelope("case_dispatched", event_payload(stored, stored["state"], {"assignee": {
        "kind": "person", "name": "康早新", "party_id": leader_id}}), {"who": "曾玉琴", "role": "secretary"})
    publisher = EventPublisher(stack.amqp_uri, "cases", {})

    with entrypoint_waiter(notifications_service, "on_case_dispatched", callback=after_runs(2), timeout=30):
        publisher(event)
        publisher(event)
    publisher.close()
    wait_until(lambda: sms_to(endpoints, "新派单"), 10, "the SMS")

    assert sms_to(endpoints, "新派单") == [phone]
    assert notifications.consumer_counts(handler="on_case_dispatched")["handled"] == 1


def test_three_failures_then_recovery_give_one_message(notifications, place, endpoints):
    endpoints.fail("/sms", 503, 503, 503)
    notice = notifications.notify(to=[{"chain_of": place(UNIT), "levels": 1}], fields=GAS, urgency="critical")
    recipients = notifications.notice_status
    wait_until(lambda: recipients(notice_id=notice["notice_id"])["messages"].get("sent"), 30, "the message sent")

    message = message_of(notifications, notice["notice_id"])
    assert (message["state"], message["attempts"], message["failed"]) == ("sent", 4, 3)
    assert len(texts(endpoints, "燃气检修")) == 4 and len({r["body"]["id"] for r in texts(endpoints, "燃气检修")}) == 1


def test_a_channel_failing_for_good_falls_back_and_every_channel_failing_parks_until_replayed(
        notifications, rpc_as, rosters, place, endpoints):
    leader_id = next(iter(leaders_of(rosters, place(UNIT))))
    rpc_as(who=leader_id, role="unit_leader").notifications.set_preferences(
        channels=["sms", "email"], addresses={"email": "leader@example.com"})
    endpoints.fail("/sms", 400, forever=True)
    first = notifications.notify(to=[{"people": [leader_id]}], fields=GAS, urgency="critical")
    wait_until(lambda: [m for m in endpoints.received("smtp") if m["body"]["subject"] == GAS["title"]], 20,
               "the e-mail")

    fell_back = message_of(notifications, first["notice_id"])
    assert fell_back["channel_used"] == "email"
    assert [(a["channel"], a["outcome"]) for a in fell_back["log"]] == [("sms", "refused"), ("email", "sent")]

    endpoints.refuse("leader@example.com")
    second = notifications.notify(to=[{"people": [leader_id]}], fields=GAS, urgency="critical")
    wait_until(lambda: notifications.parked_messages()["total"] == 1, 20, "the message parked")
    parked = message_of(notifications, second["notice_id"])
    assert parked["state"] == "parked" and parked["reason"].startswith("email: SMTP 550")

    endpoints.recover("/sms")
    notifications.replay_message(message_id=parked["message_id"])
    wait_until(lambda: message_of(notifications, second["notice_id"])["state"] == "sent", 20, "the replay sent")
    assert message_of(notifications, second["notice_id"])["channel_used"] == "sms"



"""The idempotent consumer on the real broker and database: one effect per event whatever is
delivered twice, retried, parked and replayed, published while the consumer is down, raced by
two instances, or left half done by a killed one."""

import os
import signal
import time

import kombu
from nameko.events import get_event_exchange
from nameko.testing.services import entrypoint_waiter

from shared.stack.ports import wait_until
from tests.events import after_runs
from tests.integration.consumer.conftest import (
    QUEUE,
    consumers,
    dispatched,
    effects_per_event,
    record_of,
    runs_of,
)
from tests.integration.consumer.probe import HANDLER, ConsumerProbe
from tests.integration.resilience.outages import take_parked


def waiting_in_queue(amqp_uri: str) -> int:
    with kombu.Connection(amqp_uri) as connection, connection.channel() as channel:
        return channel.queue_declare(QUEUE, passive=True).message_count


def test_the_same_event_delivered_twice_has_one_effect(start_probe, publish, probe_db):
    probe = start_probe()
    event = dispatched(hold_seconds=0.5)  # the twin arrives while the first delivery runs

    with entrypoint_waiter(probe, HANDLER, callback=after_runs(2), timeout=30):
        publish(event)
        publish(event)

    assert effects_per_event(probe_db) == {event["event_id"]: 1}
    assert runs_of(probe_db, event["event_id"]) == 1
    record = record_of(probe_db, event["event_id"])
    assert (record["state"], record["attempts"], record["effect"]["run"]) == ("handled", 1, 1)


def test_a_handler_failing_three_times_then_succeeding_has_one_effect(start_probe, publish, probe_db):
    probe = start_probe()
    event = dispatched(refusals=3)

    with entrypoint_waiter(probe, HANDLER, timeout=30) as result:
        publish(event)

    assert result.get()["run"] == 4
    assert effects_per_event(probe_db) == {event["event_id"]: 1}
    assert runs_of(probe_db, event["event_id"]) == 4
    assert record_of(probe_db, event["event_id"])["attempts"] == 4


def test_an_always_failing_handler_is_parked_then_replayed_once_fixed_with_one_effect(
        start_probe, publish, probe_db, probe_rpc):
    probe = start_probe()
    event = dispatched(until_fixed=True)
    with entrypoint_waiter(probe, HANDLER, timeout=30):
        publish(event)
    with entrypoint_waiter(probe, HANDLER, timeout=30):
        publish(event)  # published again while parked: not run again
    parked = probe_rpc.parked_events()
    probe_db["switches"].insert_one({"_id": "sms_gateway", "fixed": True})

    outcomes = probe_rpc.replay_parked(event_id=event["event_id"], handler=HANDLER)

    assert [(p["handler"], p["event_id"], p["error"], p["attempts"]) for p in parked] == [
        (HANDLER, event["event_id"], "GatewayRefused: 短信模板未通过审核", 4)]
    assert parked[0]["event"] == event
    assert outcomes == [{"handler": HANDLER, "event_id": event["event_id"], "outcome": "handled"}]
    assert effects_per_event(probe_db) == {event["event_id"]: 1}
    assert runs_of(probe_db, event["event_id"]) == 5
    assert probe_rpc.parked_events() == []
    assert probe_rpc.replay_parked(event_id=event["event_id"])[0]["outcome"] == "already_handled"
    assert probe_rpc.consumer_counts() == {"handled": 1, "parked": 0, "in_retry": 0, "running": 0}
    assert effects_per_event(probe_db) == {event["event_id"]: 1}


def test_an_event_published_while_the_consumer_is_stopped_is_handled_after_it_starts_again(
        stack, start_probe, publish, probe_db):
    start_probe().stop()  # it ran once: its queue exists
    event = dispatched()

    publish(event)
    waited = waiting_in_queue(stack.amqp_uri)
    start_probe()

    assert waited == 1
    wait_until(lambda: effects_per_event(probe_db) == {event["event_id"]: 1}, 20, "the event's effect")
    assert waiting_in_queue(stack.amqp_uri) == 0


def test_two_instances_receiving_every_event_twice_have_one_effect_per_event(stack, probe_processes, publish,
                                                                             probe_db, probe_rpc):
    probe_processes.start(LOG_LEVEL="INFO")
    probe_processes.start(LOG_LEVEL="INFO")
    events = [dispatched(hold_seconds=0.3) for _ in range(20)]

    for event in events:
        publish(event)  # the broker hands the two copies to the two instances in turn
        publish(event)
    wait_until(lambda: probe_rpc.consumer_counts()["handled"] == len(events), 60, "every event handled")
    time.sleep(1.5)  # any twin still on its way

    assert effects_per_event(probe_db) == {event["event_id"]: 1 for event in events}
    assert all(runs_of(probe_db, event["event_id"]) == 1 for event in events)
    assert len({effect["pid"] for effect in probe_db["effects"].find({})}) == 2
    logs = probe_processes.logs()
    not_run_again = [logs.count(f"{HANDLER}: event {event['event_id']} was handled before") for event in events]
    assert not_run_again == [1] * len(events)
    assert waiting_in_queue(stack.amqp_uri) == 0
    print(f"\n[consumer] 2 instances, {len(events)} events published twice each: {len(events)} effects, "
          f"{sum(not_run_again)} twins acknowledged without a run")


def test_an_instance_killed_while_handling_an_event_leaves_it_to_the_next_after_the_takeover_time(
        stack, probe_processes, publish, probe_db):
    dying = probe_processes.start(CONSUMER_TAKEOVER_SECONDS="3")
    event = dispatched(hold_seconds=60)
    publish(event)
    wait_until(lambda: runs_of(probe_db, event["event_id"]) == 1, 20, "the first run")

    os.killpg(dying.pid, signal.SIGKILL)
    dying.wait(10)
    probe_processes.start(CONSUMER_TAKEOVER_SECONDS="3")

    wait_until(lambda: effects_per_event(probe_db) == {event["event_id"]: 1}, 30, "the event's effect")
    assert runs_of(probe_db, event["event_id"]) == 2
    record = record_of(probe_db, event["event_id"])
    assert (record["state"], record["effect"]["run"]) == ("handled", 2)
    assert consumers(stack.amqp_uri) == 1
    assert waiting_in_queue(stack.amqp_uri) == 0


def test_an_event_whose_body_cannot_be_decoded_is_parked_and_the_consumer_goes_on(stack, start_probe, publish,
                                                                                 probe_db):
    probe = start_probe()
    take_parked(stack.amqp_uri, ConsumerProbe.name)  # nothing of earlier tests
    garbled = '{"event_id": "evt_0192f1c2", "type": "case_dispatched", "payload": {"unit": "金昌花园'.encode()
    event = dispatched()

    with kombu.Connection(stack.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(garbled, exchange=get_event_exchange("cases", {}), routing_key="case_dispatched",
                                      content_type="application/json", content_encoding="utf-8")
    parked = []
    wait_until(lambda: parked.extend(take_parked(stack.amqp_uri, ConsumerProbe.name)) or parked, 15, "the parked body")
    with entrypoint_waiter(probe, HANDLER, timeout=30):
        publish(event)

    [message] = parked
    assert message.body == garbled.decode()  # kept with its content encoding
    assert message.headers["x-parked-reason"].startswith("body cannot be decoded")
    assert message.headers["x-parked-from-routing-key"] == "case_dispatched"
    assert effects_per_event(probe_db) == {event["event_id"]: 1}
    assert waiting_in_queue(stack.amqp_uri) == 0

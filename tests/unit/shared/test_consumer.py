"""The idempotent event consumer with hand-written stand-ins for its collection, clock and sleep:
one effect per event, retries, parking and replay, claims held and taken over."""

from datetime import timedelta

import pytest
from nameko.events import SERVICE_POOL
from pymongo.errors import AutoReconnect

from shared.consuming import (
    BoundConsumer,
    ConsumerSettings,
    IdempotentConsumer,
    InvalidConsumerSetting,
    NoConsumerDependency,
    OutcomeNotRecorded,
    UnknownHandler,
    consumes,
    effect_id,
)
from shared.consuming import entrypoint as consuming_entrypoint
from shared.consuming.leases import SETTLE_WAITS
from shared.consuming.ledger import EventLedger
from shared.consuming.provider import consumer_attribute
from shared.errors import NotFound, ValidationFailed
from shared.parking import parked_queue
from tests.unit.shared.fakes_consumer import FakeClock, FakeCollection, RecordedSleep

HANDLER = "on_case_dispatched"


class GatewayRefused(Exception):
    """The SMS gateway did not take the message."""


class FakeSmsGateway:
    """Refuses the first `refusals` messages, or every message while `broken`; keeps what it sent."""

    def __init__(self, refusals: int = 0, broken: bool = False):
        self.refusals = refusals
        self.broken = broken
        self.calls = 0
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> dict:
        self.calls += 1
        if self.broken or self.calls <= self.refusals:
            raise GatewayRefused(f"gateway busy, message {self.calls} to {to} refused")
        self.sent.append((to, text))
        return {"message_id": f"sms-{len(self.sent)}"}


class NotificationsService:
    name = "notifications"
    consumer = IdempotentConsumer("NOTIFICATIONS_DB")

    def __init__(self, sms: FakeSmsGateway):
        self.sms = sms

    @consumes("cases", "case_dispatched")
    def on_case_dispatched(self, event):
        payload = event["payload"]
        return self.sms.send(payload["assignee"]["name"], f"新案件 {payload['case_id']}：{payload['unit']}")


def dispatched(event_id: str = "evt_0192f1c2a3b4c5d6e7f8a9") -> dict:
    return {"event_id": event_id, "type": "case_dispatched", "occurred_at": "2026-03-02T09:00:00.000+00:00",
            "actor": {"who": "张警官", "role": "admin"}, "version": 1,
            "payload": {"case_id": "case_0192f1c2a3b4", "unit": "金昌花园 2栋 1单元",
                        "assignee": {"kind": "community", "name": "嘉园社区"}}}


class Setting:
    """A service instance bound to a consumer over a fake collection, as nameko injects it."""

    def __init__(self, sms: FakeSmsGateway | None = None, **settings):
        self.clock = FakeClock()
        self.sleep = RecordedSleep(self.clock)
        self.records = FakeCollection()
        self.settings = ConsumerSettings(**settings)
        self.ledger = EventLedger(self.records, self.settings.takeover, self.clock)
        self.service = self.another_instance(sms or FakeSmsGateway())

    def another_instance(self, sms: FakeSmsGateway) -> NotificationsService:
        service = NotificationsService(sms)
        service.consumer = BoundConsumer(self.ledger, self.settings, service, sleep=self.sleep, draw=lambda: 0.0)
        return service

    @property
    def sms(self) -> FakeSmsGateway:
        return self.service.sms

    @property
    def consumer(self) -> BoundConsumer:
        return self.service.consumer

    def record(self, event_id: str = dispatched()["event_id"]) -> dict:
        return self.records.docs[f"{HANDLER}:{event_id}"]


def test_the_same_event_delivered_twice_has_one_effect_and_the_first_answer():
    setting = Setting()

    first = setting.service.on_case_dispatched(dispatched())
    second = setting.service.on_case_dispatched(dispatched())

    assert setting.sms.sent == [("嘉园社区", "新案件 case_0192f1c2a3b4：金昌花园 2栋 1单元")]
    assert first == second == {"message_id": "sms-1"}
    assert setting.record()["state"] == "handled"
    assert setting.record()["effect"] == {"message_id": "sms-1"}


def test_a_second_instance_receiving_the_event_again_does_not_run_it():
    setting = Setting()
    other = setting.another_instance(FakeSmsGateway())

    setting.service.on_case_dispatched(dispatched())
    other.on_case_dispatched(dispatched())

    assert (len(setting.sms.sent), other.sms.calls) == (1, 0)


def test_different_events_each_have_their_effect():
    setting = Setting()

    setting.service.on_case_dispatched(dispatched("evt_1"))
    setting.service.on_case_dispatched(dispatched("evt_2"))

    assert len(setting.sms.sent) == 2


def test_a_body_without_an_event_id_sent_twice_still_has_one_effect():
    setting = Setting()
    body = {key: value for key, value in dispatched().items() if key != "event_id"}

    setting.service.on_case_dispatched(body)
    setting.service.on_case_dispatched(dict(body))

    assert len(setting.sms.sent) == 1


def test_a_handler_failing_three_times_then_succeeding_has_one_effect_after_four_attempts():
    setting = Setting(FakeSmsGateway(refusals=3))

    effect = setting.service.on_case_dispatched(dispatched())

    assert effect == {"message_id": "sms-1"}
    assert (setting.sms.calls, len(setting.sms.sent)) == (4, 1)
    assert setting.record()["attempts"] == 4
    assert setting.sleep.waits == [0.2, 0.4, 0.8]
    assert setting.consumer.counts() == {"handled": 1, "parked": 0, "in_retry": 0, "running": 0}


def test_an_event_waiting_for_its_next_attempt_is_counted_in_retry():
    setting = Setting(FakeSmsGateway(refusals=1))
    seen = []
    setting.service.consumer.sleep = lambda seconds: seen.append(setting.consumer.counts())

    setting.service.on_case_dispatched(dispatched())

    assert seen == [{"handled": 0, "parked": 0, "in_retry": 1, "running": 0}]


def test_an_always_failing_handler_parks_the_event_with_its_error_and_attempts():
    setting = Setting(FakeSmsGateway(broken=True))

    effect = setting.service.on_case_dispatched(dispatched())

    assert effect is None
    [parked] = setting.consumer.parked()
    assert parked["handler"] == HANDLER
    assert parked["event_id"] == "evt_0192f1c2a3b4c5d6e7f8a9"
    assert parked["event"] == dispatched()
    assert parked["error"] == "GatewayRefused: gateway busy, message 4 to 嘉园社区 refused"
    assert parked["attempts"] == 4
    assert parked["parked_at"] == "2026-03-02T09:00:01.400+00:00"  # after waits of 0.2, 0.4 and 0.8 s
    assert setting.consumer.counts()["parked"] == 1


def test_a_parked_event_delivered_again_is_not_run_again():
    setting = Setting(FakeSmsGateway(broken=True))
    setting.service.on_case_dispatched(dispatched())

    setting.service.on_case_dispatched(dispatched())

    assert setting.sms.calls == 4
    assert len(setting.consumer.parked()) == 1


def test_a_parked_event_replayed_after_the_fix_has_one_effect():
    setting = Setting(FakeSmsGateway(broken=True))
    setting.service.on_case_dispatched(dispatched())
    setting.sms.broken = False

    outcomes = setting.consumer.replay(event_id="evt_0192f1c2a3b4c5d6e7f8a9", handler=HANDLER)

    assert outcomes == [{"handler": HANDLER, "event_id": "evt_0192f1c2a3b4c5d6e7f8a9", "outcome": "handled"}]
    assert (setting.sms.calls, len(setting.sms.sent)) == (5, 1)
    assert setting.consumer.parked() == []
    assert setting.record()["state"] == "handled"
    assert setting.record()["attempts"] == 5
    assert "replayed_at" in setting.record()
    assert setting.consumer.counts() == {"handled": 1, "parked": 0, "in_retry": 0, "running": 0}


def test_replaying_an_already_handled_event_does_nothing():
    setting = Setting()
    setting.service.on_case_dispatched(dispatched())

    outcomes = setting.consumer.replay(event_id="evt_0192f1c2a3b4c5d6e7f8a9")

    assert outcomes == [{"handler": HANDLER, "event_id": "evt_0192f1c2a3b4c5d6e7f8a9", "outcome": "already_handled"}]
    assert setting.sms.calls == 1


def test_a_replay_that_fails_again_runs_once_and_leaves_the_event_parked_with_the_new_error():
    setting = Setting(FakeSmsGateway(broken=True))
    setting.service.on_case_dispatched(dispatched())

    [outcome] = setting.consumer.replay(handler=HANDLER)

    assert outcome["outcome"] == "parked"
    assert outcome["error"] == "GatewayRefused: gateway busy, message 5 to 嘉园社区 refused"
    assert setting.sms.calls == 5
    [parked] = setting.consumer.parked()
    assert (parked["attempts"], parked["error"]) == (5, outcome["error"])


def test_replaying_a_handler_runs_each_of_its_parked_events_once():
    setting = Setting(FakeSmsGateway(broken=True))
    for event_id in ("evt_1", "evt_2", "evt_3"):
        setting.service.on_case_dispatched(dispatched(event_id))
    setting.sms.broken = False

    outcomes = setting.consumer.replay(handler=HANDLER)

    assert [o["outcome"] for o in outcomes] == ["handled"] * 3
    assert len(setting.sms.sent) == 3
    assert setting.consumer.replay(handler=HANDLER) == []


@pytest.mark.parametrize(("arguments", "error"), [
    ({}, ValidationFailed),
    ({"handler": "on_case_closed"}, UnknownHandler),
    ({"event_id": "evt_never_received"}, NotFound),
])
def test_a_replay_of_nothing_that_can_be_replayed_is_refused(arguments, error):
    setting = Setting()

    with pytest.raises(error):
        setting.consumer.replay(**arguments)


def test_a_delivery_while_another_instance_runs_the_event_waits_for_it_and_does_not_run_it():
    setting = Setting()
    held = setting.ledger.claim(HANDLER, "evt_0192f1c2a3b4c5d6e7f8a9", "case_dispatched")
    setting.consumer.sleep = lambda seconds: setting.ledger.handled(held, {"message_id": "sms-other"}, 1)

    effect = setting.service.on_case_dispatched(dispatched())

    assert effect == {"message_id": "sms-other"}
    assert setting.sms.calls == 0


def test_a_claim_whose_lease_ran_out_is_taken_over_and_the_event_run_once():
    setting = Setting(takeover_seconds=30, poll_seconds=1)
    setting.ledger.claim(HANDLER, "evt_0192f1c2a3b4c5d6e7f8a9", "case_dispatched")  # its holder died

    setting.service.on_case_dispatched(dispatched())

    assert len(setting.sms.sent) == 1
    assert sum(setting.sleep.waits) == 30
    assert setting.record()["state"] == "handled"


def test_a_holder_whose_claim_was_taken_over_cannot_settle_it():
    setting = Setting(takeover_seconds=30)
    stale = setting.ledger.claim(HANDLER, "evt_1", "case_dispatched")
    setting.clock.advance(31)
    fresh = setting.ledger.claim(HANDLER, "evt_1", "case_dispatched")

    settled_by_stale = setting.ledger.handled(stale, {"message_id": "late"}, 1)

    assert settled_by_stale is False
    assert setting.ledger.handled(fresh, {"message_id": "sms-1"}, 1) is True
    assert setting.record("evt_1")["effect"] == {"message_id": "sms-1"}


class UnreachableForWrites(FakeCollection):
    """Claims go through; every later update meets a database that stopped answering."""

    def update_one(self, query, update):
        raise AutoReconnect("connection to 127.0.0.1:27017 closed")


@pytest.fixture
def no_requeue_pause(monkeypatch):
    monkeypatch.setattr(consuming_entrypoint, "REQUEUE_PAUSE_SECONDS", 0)


def test_an_outcome_that_cannot_be_written_is_tried_again_then_raised_so_the_event_goes_back_to_the_queue(
        no_requeue_pause):
    setting = Setting()
    setting.records.__class__ = UnreachableForWrites

    with pytest.raises(OutcomeNotRecorded):
        setting.service.on_case_dispatched(dispatched())

    assert setting.sleep.waits == SETTLE_WAITS
    assert setting.record()["state"] == "claimed"


def test_a_redelivery_after_an_unwritten_outcome_runs_the_handler_again_once_the_lease_ran_out(no_requeue_pause):
    setting = Setting(takeover_seconds=30, poll_seconds=1)
    setting.records.__class__ = UnreachableForWrites
    with pytest.raises(OutcomeNotRecorded):
        setting.service.on_case_dispatched(dispatched())
    setting.records.__class__ = FakeCollection

    setting.service.on_case_dispatched(dispatched())

    assert len(setting.sms.sent) == 2  # the window the module docstring speaks of
    assert setting.record()["state"] == "handled"


def test_effect_ids_are_the_same_for_one_event_and_differ_between_events_and_parts():
    first, again = effect_id("notice", dispatched()), effect_id("notice", dispatched())

    assert first == again
    assert first != effect_id("notice", dispatched("evt_other"))
    assert first != effect_id("notice", dispatched(), "嘉园社区")


def test_the_handler_consumes_a_durable_queue_of_its_own_shared_by_the_instances_of_its_service():
    [handler] = NotificationsService.on_case_dispatched.nameko_entrypoints

    assert (handler.source_service, handler.event_type) == ("cases", "case_dispatched")
    assert handler.handler_type is SERVICE_POOL
    assert handler.reliable_delivery is True


class StubQueueConsumer:
    def __init__(self):
        self.settled: list[tuple[str, str]] = []

    def ack_message(self, message):
        self.settled.append(("ack", message))

    def requeue_message(self, message):
        self.settled.append(("requeue", message))


class StubContainer:
    service_name = "notifications"

    def __init__(self):
        self.shared_extensions = {}


class StubParking:
    def __init__(self, broken: bool = False):
        self.broken = broken
        self.parked: list[tuple[str, str]] = []
        self.queue = parked_queue("notifications")

    def park(self, message, reason):
        if self.broken:
            raise ConnectionRefusedError("broker unreachable")
        self.parked.append((message, reason))


def raised(error: Exception):
    try:
        raise error
    except Exception as caught:  # noqa: BLE001 - the point is the exc_info
        return type(caught), caught, caught.__traceback__


def processed(exc_info, parking: StubParking | None = None) -> tuple[list, list]:
    """What the handler's entrypoint does with a delivery whose worker ended with `exc_info`."""
    [declared] = NotificationsService.on_case_dispatched.nameko_entrypoints
    container = StubContainer()
    handler = declared.bind(container, HANDLER)
    handler.queue_consumer = StubQueueConsumer()
    handler.parking = parking or StubParking()
    handler.handle_message_processed("delivery-1", exc_info=exc_info)
    return handler.queue_consumer.settled, handler.parking.parked


@pytest.mark.parametrize(("exc_info", "settled", "parked"), [
    pytest.param(None, [("ack", "delivery-1")], [], id="handled or parked by the consumer: acknowledged"),
    pytest.param(raised(AutoReconnect("connection closed")), [("requeue", "delivery-1")], [],
                 id="the consumer's database failed: back to the queue"),
    pytest.param(raised(OutcomeNotRecorded("outcome not recorded")), [("requeue", "delivery-1")], [],
                 id="the outcome was not written: back to the queue"),
    pytest.param(raised(RuntimeError("ledger out of step")), [("ack", "delivery-1")],
                 [("delivery-1", "notifications.on_case_dispatched could not consume the event: "
                                 "RuntimeError: ledger out of step")],
                 id="anything else: parked in <service>.parked"),
])
def test_a_delivery_is_acknowledged_requeued_or_parked_by_how_its_worker_ended(exc_info, settled, parked):
    outcome = processed(exc_info)

    assert outcome == (settled, parked)


def test_a_delivery_that_can_be_neither_consumed_nor_parked_goes_back_to_the_queue(no_requeue_pause):
    settled, parked = processed(raised(RuntimeError("ledger out of step")), StubParking(broken=True))

    assert (settled, parked) == ([("requeue", "delivery-1")], [])


def test_a_service_with_handlers_but_no_consumer_dependency_is_refused():
    class Careless:
        name = "careless"

        @consumes("cases", "case_dispatched")
        def on_case_dispatched(self, event):
            return None

    with pytest.raises(NoConsumerDependency):
        consumer_attribute(Careless)


def test_settings_come_from_config_text_with_defaults_for_the_rest():
    settings = ConsumerSettings.from_config({"CONSUMER_RETRIES": "5", "CONSUMER_RETRY_FIRST_SECONDS": "0.05"})

    assert (settings.retries, settings.retry_first_seconds, settings.takeover) == (5, 0.05, timedelta(seconds=60))
    assert settings.waits(lambda: 0.0) == [0.05, 0.1, 0.2, 0.4, 0.8]


@pytest.mark.parametrize(("draw", "waits"), [(0.0, [0.2, 0.4, 0.8]), (1.0, [0.3, 0.6, 1.0])])
def test_retry_waits_double_stretched_by_jitter_and_capped(draw, waits):
    settings = ConsumerSettings(retry_max_seconds=1.0)

    assert settings.waits(lambda: draw) == pytest.approx(waits)


@pytest.mark.parametrize("config", [{"CONSUMER_RETRIES": "-1"}, {"CONSUMER_TAKEOVER_SECONDS": "0"},
                                    {"CONSUMER_RETRY_FIRST_SECONDS": "soon"}])
def test_settings_that_cannot_work_are_refused(config):
    with pytest.raises(InvalidConsumerSetting):
        ConsumerSettings.from_config(config)

"""A small consuming service for the consumer tests: one handler of the cases service's
`case_dispatched` events that counts its runs and writes one effect per successful run, on
purpose without any idempotence of its own, so that a second run would show as a second effect.

The event's `payload.probe` tells the handler how to behave: `refusals` (fail the first n runs),
`until_fixed` (fail until the test marks the SMS gateway fixed), `hold_seconds` (pause the first
run, to let a twin delivery or a kill catch it in the middle)."""

import os

import eventlet
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.consuming import IdempotentConsumer, consumes
from shared.errors import EXPECTED
from shared.ids import new_id
from shared.mongo import MongoStore
from shared.rpc import rpc

HANDLER = "on_case_dispatched"


class GatewayRefused(Exception):
    """The SMS gateway did not take the message."""


class ProbeStore:
    """The probe's own collections: `runs` (one counter per event), `effects`, `switches`."""

    def __init__(self, db, outbox, config):
        self.runs, self.effects, self.switches = db["runs"], db["effects"], db["switches"]

    def count_run(self, event_id: str) -> int:
        try:
            return self._increment(event_id)
        except DuplicateKeyError:  # a twin created the counter at the same moment
            return self._increment(event_id)

    def _increment(self, event_id: str) -> int:
        return self.runs.find_one_and_update({"_id": event_id}, {"$inc": {"n": 1}}, upsert=True,
                                             return_document=ReturnDocument.AFTER)["n"]

    def write_effect(self, event: dict) -> str:
        effect = {"_id": new_id("fx"), "event_id": event["event_id"], "case_id": event["payload"]["case_id"],
                  "pid": os.getpid()}
        self.effects.insert_one(effect)
        return effect["_id"]

    def gateway_fixed(self) -> bool:
        return self.switches.find_one({"_id": "sms_gateway", "fixed": True}) is not None


class ConsumerProbe:
    name = "consumer_probe"
    rights = None  # a probe for tests: its callers carry no actor

    consumer = IdempotentConsumer("PROBE_DB")
    store: ProbeStore = MongoStore(ProbeStore, "PROBE_DB")

    @consumes("cases", "case_dispatched")
    def on_case_dispatched(self, event):
        probe = event["payload"].get("probe", {})
        run = self.store.count_run(event["event_id"])
        if run == 1:
            eventlet.sleep(probe.get("hold_seconds", 0))
        if run <= probe.get("refusals", 0):
            raise GatewayRefused(f"短信网关繁忙 (run {run})")
        if probe.get("until_fixed") and not self.store.gateway_fixed():
            raise GatewayRefused("短信模板未通过审核")
        return {"effect_id": self.store.write_effect(event), "run": run, "pid": os.getpid()}

    @rpc(expected_exceptions=EXPECTED)
    def parked_events(self, handler=None):
        return self.consumer.parked(handler)

    @rpc(expected_exceptions=EXPECTED)
    def replay_parked(self, event_id=None, handler=None):
        return self.consumer.replay(event_id=event_id, handler=handler)

    @rpc(expected_exceptions=EXPECTED)
    def consumer_counts(self, handler=None):
        return self.consumer.counts(handler)

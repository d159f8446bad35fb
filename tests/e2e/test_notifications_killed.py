"""Notifications under `kill -9`: a 特急 notice to everyone living in one building unit goes out by
SMS through a slow gateway, and the notifications process is killed part way and started again.
Afterwards every person has one message, sent, one inbox item, and one SMS delivered: a send
the dead process had made but not yet recorded is made again with the same idempotency key,
which the gateway answers without sending twice."""

import os
import signal
from collections import Counter

from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place, load_demo
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop
from tests.providers import Providers

PEOPLE = 240
UNIT = "嘉园社区/金昌花园/3栋/2单元"
QUICK = {"DELIVERY_SCAN_SECONDS": "0.2", "FANOUT_SCAN_SECONDS": "0.2", "SEND_LEASE_SECONDS": "4",
         "FANOUT_LEASE_SECONDS": "4", "SEND_CONCURRENCY": "8"}


def notifications_ready(rpc) -> bool:
    return rpc.notifications.catalogue() is not None


def test_a_notice_killed_part_way_is_sent_to_everyone_once(cluster_env):
    providers = Providers().start()
    env = {**cluster_env, **QUICK, **providers.env()}
    rosters = run_service("rosters", env, lambda rpc: rpc.rosters.labels() is not None)
    notifications = run_service("notifications", env, notifications_ready)
    try:
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, context_data=actor_context(), timeout=30) as ops:
            unit = find_place(load_demo(ops.rosters), UNIT)
            for n in range(PEOPLE):
                ops.rosters.register_person(name=f"住户{n:03d}", phone=f"1390731{n:04d}", home_unit_id=unit)
            everyone = {p["person_id"]: p["phone"] for offset in range(0, PEOPLE + 200, 200)
                        for p in ops.rosters.search_people(place_id=unit, limit=200, offset=offset)}
            providers.delay("/sms", 0.25)
            notice = ops.notifications.notify(to=[{"residents_of": unit}], urgency="critical",
                                              fields={"title": "停电通知", "body": "3栋2单元今晚 22:00 抢修停电"})

            wait_until(lambda: len(providers.received("/sms")) >= PEOPLE // 4, 60, "a quarter of the SMS")
            os.killpg(notifications.pid, signal.SIGKILL)
            notifications.wait(10)
            at_kill = len(providers.received("/sms"))
            notifications = run_service("notifications", env, notifications_ready)
            wait_until(lambda: ops.notifications.notice_status(notice_id=notice["notice_id"])["messages"]
                       == {"sent": len(everyone)}, 180, "every message sent")

            status = ops.notifications.notice_status(notice_id=notice["notice_id"])
            requests = [r for r in providers.received("/sms") if "停电通知" in r["body"]["text"]]  # not the demo's
            delivered = [r for r in requests if not r.get("repeat")]
            per_key = Counter(r["headers"]["Idempotency-Key"] for r in delivered)
            per_phone = Counter(r["body"]["to"] for r in delivered)
            inbox = mongo_client(env["MONGO_URI"])[env["NOTIFICATIONS_DB"]]["inbox"]
            items = inbox.count_documents({"notice_id": notice["notice_id"]})
            print(f"\n[killed] {len(everyone)} people; notifications killed after {at_kill} SMS requests; "
                  f"requests {len(requests)}, repeats answered by the gateway {len(requests) - len(delivered)}, "
                  f"delivered {len(delivered)}; messages {status['messages']}; inbox items {items}")
            assert status["state"] == "done" and status["recipients"] == len(everyone)
            assert set(per_phone) == set(everyone.values()) and set(per_phone.values()) == {1}
            assert set(per_key.values()) == {1} and len(per_key) == len(everyone)
            assert items == len(everyone)
    finally:
        stop(notifications)
        stop(rosters)
        providers.stop()

"""One notice to 10,000 people through the inbox channel, end to end: from `notify` until every
message is kept and in its person's inbox (rosters asked for the people 200 at a time, the
messages and inbox items written in bulk), beside bare event publish → consume in the same run:
10,000 events published with confirms by the project's publisher, consumed by a bare nameko
handler."""

import contextlib
import time
from collections.abc import Iterator

from nameko.standalone.rpc import ClusterRpcProxy

from bench import cpu
from bench.harness import SECRET, bench_stack, service_process
from shared.actor import Actor, context_for
from shared.events import envelope
from shared.mongo import EventPublisher, mongo_client
from shared.stack.ports import wait_until

RECIPIENTS = 10_000


@contextlib.contextmanager
def notifications_cluster() -> Iterator[tuple[object, dict]]:
    with bench_stack() as stack:
        versions = stack.versions()
        print(f"stack: {stack.source}: RabbitMQ {versions['rabbitmq']}, {versions['mongodb']}")
        suffix = int(time.time())
        env = {"AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ROSTERS_DB": f"bench_rosters_{suffix}",
               "VOLUNTEERS_DB": f"bench_volunteers_{suffix}", "CASES_DB": f"bench_cases_{suffix}",
               "NOTIFICATIONS_DB": f"bench_notifications_{suffix}", "ACTOR_SECRET": SECRET,
               "FANOUT_SCAN_SECONDS": "0.2"}
        with service_process("bench.event_sink_service", env, "bench/echo.yml"), \
                service_process("services.rosters.service", env, "services/rosters/config.yml"), \
                service_process("services.notifications.service", env, "services/notifications/config.yml"):
            yield stack, env
        client = mongo_client(stack.mongo_uri)
        for key in ("ROSTERS_DB", "VOLUNTEERS_DB", "CASES_DB", "NOTIFICATIONS_DB"):
            client.drop_database(env[key])


def bare_events(rpc, amqp_uri: str, count: int) -> dict:
    publisher = EventPublisher(amqp_uri, "bench", {})
    before = rpc.event_sink.count()
    cpu_before, started = cpu.snapshot(), time.perf_counter()
    for n in range(count):
        publisher(envelope("ping", {"n": n}, {"who": "bench", "role": "system"}))
    wait_until(lambda: rpc.event_sink.count() - before >= count, 300, "every ping consumed", interval=0.05)
    elapsed = time.perf_counter() - started
    publisher.close()
    return {"per_s": count / elapsed, "seconds": elapsed, "cpu_ms": cpu.per_call(cpu_before, cpu.snapshot(), count)}


def one_notice(rpc, mongo_uri: str, database: str, count: int) -> dict:
    people = [f"person_bench_{n:05d}" for n in range(count)]
    inbox = mongo_client(mongo_uri)[database]["inbox"]
    cpu_before, started = cpu.snapshot(), time.perf_counter()
    fields = {"title": "停水通知", "body": "明日 9:00–17:00 停水"}
    notice = rpc.notifications.notify(to=[{"people": people}], fields=fields, idempotency_key=f"bench-{time.time()}")
    wait_until(lambda: rpc.notifications.notice_status(notice_id=notice["notice_id"])["state"] == "done", 600,
               "the notice fanned out", interval=0.1)
    elapsed = time.perf_counter() - started
    status = rpc.notifications.notice_status(notice_id=notice["notice_id"])
    return {"per_s": count / elapsed, "seconds": elapsed, "status": status,
            "inbox": inbox.count_documents({"notice_id": notice["notice_id"]}),
            "cpu_ms": cpu.per_call(cpu_before, cpu.snapshot(), count)}


def main() -> None:
    with notifications_cluster() as (stack, env):
        config = {"AMQP_URI": stack.amqp_uri}
        caller = context_for(Actor("bench", "admin"), SECRET)
        with ClusterRpcProxy(config, context_data=caller, timeout=120) as rpc:
            wait_until(lambda: _answers(rpc), 60, "the services")
            bare_events(rpc, stack.amqp_uri, 500)  # warm-up
            events = bare_events(rpc, stack.amqp_uri, RECIPIENTS)
            notice = one_notice(rpc, stack.mongo_uri, env["NOTIFICATIONS_DB"], RECIPIENTS)
    print(f"{RECIPIENTS} recipients, inbox only (no push channel enabled); the same number of bare events")
    print("                              per s   seconds")
    print(f"bare event publish → consume {events['per_s']:>7.0f} {events['seconds']:>8.2f}")
    print(f"notice → 10,000 inbox items  {notice['per_s']:>7.0f} {notice['seconds']:>8.2f}")
    print(f"notice: {notice['status']['recipients']} recipients, messages {notice['status']['messages']}, "
          f"inbox items {notice['inbox']}")
    print(f"CPU ms per event, bare: {cpu.describe(events['cpu_ms'])}")
    print(f"CPU ms per message, notice: {cpu.describe(notice['cpu_ms'])}")
    print(f"notice messages/s / bare events/s = {notice['per_s'] / events['per_s']:.2f} (goal >= 0.5)")


def _answers(rpc) -> bool:
    try:
        rpc.event_sink.count()
        rpc.notifications.catalogue()
        rpc.rosters.labels()
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


if __name__ == "__main__":
    main()

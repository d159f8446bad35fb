"""`make chaos`: the stack as `make run` keeps it, under load from four clients (2,000 reports
with request ids, 300 of them through the whole loop), while each service, RabbitMQ and the
database are killed with `kill -9` in turn and supervisord starts them again. Then it counts:
sent, answered, stored, lost, duplicated, events missing, repeat deliveries, statistics
against the database, and how long each fault took to heal.

    python -m bench.chaos [--reports 2000] [--loops 300] [--clients 4]
"""

# ruff: noqa: E402 - eventlet patches the standard library before anything else imports it
import eventlet

eventlet.monkey_patch()

import argparse
import time
from datetime import date

from nameko.standalone.rpc import ClusterRpcProxy

import shared.resilience  # noqa: F401 - `Unavailable` answers map back to their class
from bench.chaos_audit import EventLog, audit, counter_differences, explain
from bench.chaos_load import Client, Tally, run_client
from bench.chaos_stack import kill_program, services_answer, supervised_stack
from shared.actor import Actor, context_for
from shared.clock import local_date, utcnow
from shared.mongo import mongo_client

SECRET = "chaos-secret-for-the-actor-tokens-01"
FAULTS = ["ferretdb", "cases", "rabbitmq", "rosters"]
SETTINGS = {"ACTOR_SECRET": SECRET, "STEP_TAKEOVER_SECONDS": "5", "OUTBOX_SWEEP_SECONDS": "1",
            "ROSTERS_DB": "linli_rosters", "CASES_DB": "linli_cases"}


def main() -> None:
    options = parse()
    ops = context_for(Actor("chaos-ops", "admin"), SECRET)
    with supervised_stack(SETTINGS) as stack:
        client = mongo_client(stack.mongo_uri)
        units = [u["_id"] for u in client[SETTINGS["ROSTERS_DB"]].units.find({"level": "unit"})
                 if "嘉园社区" in u["path"]]
        events = EventLog(stack.amqp_uri)
        listener = eventlet.spawn(events.listen)
        tally = Tally()
        per_client = options.reports // options.clients
        started = time.monotonic()
        load = [eventlet.spawn(run_client, Client(stack.amqp_uri, context_for(Actor(f"client{n}", "system"), SECRET),
                                                  tally), f"chaos-c{n}", units, per_client,
                               options.loops // options.clients)
                for n in range(options.clients)]
        faults = []
        eventlet.sleep(options.warmup)
        for program in FAULTS:
            under_load = any(not green.dead for green in load)
            faults.append(kill_program(stack, program, under_load, lambda: services_answer(stack.amqp_uri, ops)))
            eventlet.sleep(options.gap)
        for green in load:
            green.wait()
        load_seconds = time.monotonic() - started
        time.sleep(3 * float(SETTINGS["STEP_TAKEOVER_SECONDS"]))  # takeover time and sweeps of what a kill left
        events.wait_until_quiet(quiet=5, longest=60)
        listener.kill()
        with ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, context_data=ops, timeout=30) as rpc:
            district = rpc.rosters.locate_unit(path=["雨花区"])["unit_id"]
            today = local_date(utcnow())
            totals = rpc.cases.stats(node_id=district, date_from=date(today.year, 1, 1).isoformat(),
                                     date_to=today.isoformat())["totals"]
        figures = audit(client[SETTINGS["CASES_DB"]], tally, events, totals)
        problems = explain(client[SETTINGS["CASES_DB"]], tally.problems)
        problems += counter_differences(client[SETTINGS["CASES_DB"]])
        statuses = stack.statuses()
        client.close()
    show(options, figures, faults, statuses, load_seconds, tally)
    for line in problems:
        print(line)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--loops", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before the first fault")
    parser.add_argument("--gap", type=float, default=2, help="seconds between a fault healing and the next")
    return parser.parse_args()


def show(options, figures: dict, faults: list, statuses: dict, load_seconds: float, tally: Tally) -> None:
    print(f"\nchaos: {options.clients} clients, {options.reports} reports with request ids, {options.loops} "
          f"through the whole loop; load took {load_seconds:.1f} s")
    for name, value in figures.items():
        print(f"  {name:45} {value}")
    print(f"  {'retries, by what the client met':45} {dict(tally.retried_because)}")
    print("faults (kill -9 of the program's process tree; supervisord restarts it):")
    for fault in faults:
        respawned = "never" if fault.respawned_after is None else f"{fault.respawned_after:.1f} s"
        serving = "never" if fault.serving_after is None else f"{fault.serving_after:.1f} s"
        print(f"  {fault.program:10} under load: {'yes' if fault.under_load else 'no '}  running again after "
              f"{respawned:>7}, both services answering after {serving:>7}")
    print(f"programs at the end: {statuses}")


if __name__ == "__main__":
    main()

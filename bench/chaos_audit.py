"""What the chaos run checks afterwards: every event the cases' timelines imply, heard by a
consumer on a durable queue (reconnecting through broker restarts); every answered request
stored once; the counters equal to the cases."""

import json
import time
from collections import Counter, defaultdict
from collections.abc import Mapping

import eventlet
import kombu
from nameko.events import get_event_exchange

from bench.chaos_load import LOOP, Tally
from services.cases import counting
from services.cases.lifecycle import COMMANDS

QUEUE = "chaos-audit-cases-events"


class EventLog:
    """Every delivery of a `cases.events` message to a durable queue declared before the load."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.deliveries: list[dict] = []
        self.last_heard = time.monotonic()
        self.running = True
        self.queue = kombu.Queue(QUEUE, exchange=get_event_exchange("cases", {}), routing_key="#", durable=True)
        with kombu.Connection(amqp_uri) as connection:
            self.queue(connection.default_channel).declare()

    def listen(self) -> None:
        while self.running:
            try:
                with kombu.Connection(self.amqp_uri, connect_timeout=3) as connection:
                    queue = self.queue(connection.default_channel)
                    while self.running:
                        message = queue.get(no_ack=False)
                        if message is None:
                            eventlet.sleep(0.05)
                            continue
                        self.deliveries.append(json.loads(message.body))
                        self.last_heard = time.monotonic()
                        message.ack()
            except Exception:  # noqa: BLE001 - the broker went away: listen again when it is back
                eventlet.sleep(0.5)

    def wait_until_quiet(self, quiet: float, longest: float) -> None:
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline and time.monotonic() - self.last_heard < quiet:
            eventlet.sleep(0.2)
        self.running = False


def implied_events(case: Mapping) -> set[tuple[str, int, str]]:
    """(case id, version, event type) of every event the case's timeline says was caused."""
    implied = set()
    for entry in case.get("timeline", []):
        types = ["case_reported"] if entry["action"] == "report" else [COMMANDS[entry["action"]].event]
        if entry["action"] == "evaluate":
            types.append("case_closed" if entry["to"] == "closed" else "case_reopened")
        implied |= {(case["_id"], entry["seq"], t) for t in types}
    return implied


def audit(db, tally: Tally, events: EventLog, district_totals: Mapping) -> dict:
    """The figures: requests, cases, events and statistics checked against each other."""
    cases = {case["_id"]: case for case in db.cases.find({}, {"opening": 0})}
    answered_cases = set(tally.reports.values())
    by_description = Counter(case["description"] for case in cases.values())
    loop_actions = ["report"] + [command for command, _ in LOOP]
    broken_loops = [cid for cid in tally.loops if [e["action"] for e in cases.get(cid, {}).get("timeline", [])]
                    != loop_actions]
    repeated_steps = sum(len(acts) - len(set(acts)) for acts in
                         ([e["action"] for e in case["timeline"] if e["action"] != "progress"]
                          for case in cases.values()))
    expected = set().union(*(implied_events(case) for case in cases.values())) if cases else set()
    ids_per_fact: dict[tuple, set[str]] = defaultdict(set)
    for event in events.deliveries:
        payload = event["payload"]
        ids_per_fact[(payload["case_id"], payload["version"], event["type"])].add(event["event_id"])
    counters = counting.counters_differing(counting.expected_counters(cases.values()),
                                           counting.stored_counters(db.counters.find({})))
    return {
        "requests sent": tally.sent, "requests answered": tally.answered, "attempts": tally.attempts,
        "refused (errors that are answers)": dict(tally.refused), "given up": tally.gave_up,
        "reports answered": len(tally.reports), "cases stored": len(cases),
        "lost (answered, not stored)": len(answered_cases - set(cases)),
        "duplicated (a description stored twice)": sum(n - 1 for n in by_description.values() if n > 1),
        "full loops answered": len(tally.loops), "loops with a step missing or repeated": len(broken_loops),
        "steps repeated in a timeline": repeated_steps,
        "events implied by the timelines": len(expected), "events missing": len(expected - set(ids_per_fact)),
        "events not implied by any timeline": len(set(ids_per_fact) - expected),
        "facts published under two event ids": sum(1 for ids in ids_per_fact.values() if len(ids) > 1),
        "event deliveries": len(events.deliveries),
        "repeat deliveries (same event id)": len(events.deliveries) - len({e["event_id"] for e in events.deliveries}),
        "counter documents differing from the cases": len(counters),
        "stats received (district) vs cases stored": f"{district_totals.get('received')} vs {len(cases)}",
    }


def explain(db, problems: list) -> list[str]:
    """For each refused or abandoned request, what the database holds of its case."""
    lines = []
    for method, arguments, error in problems:
        case_id = arguments.get("case_id")
        lines.append(f"{method} {arguments.get('request_id')}: {error}")
        if not case_id:
            continue
        case = db.cases.find_one({"_id": case_id}, {"version": 1, "state": 1, "timeline": 1}) or {}
        steps = [(s["_id"], s.get("writer")) for s in db.journal_steps.find({"doc_id": case_id})]
        pending = [(i["_id"], k, str(at)) for i in db.journal_instances.find({})
                   for k, at in (i.get("pending") or {}).items() if k.startswith(f"cases:{case_id}:")]
        lines.append(f"    case v{case.get('version')} {case.get('state')}: "
                     f"{[(e['seq'], e['action'], e.get('request_id')) for e in case.get('timeline', [])]}")
        lines.append(f"    steps {steps}; pending {pending}")
    return lines


def counter_differences(db, most: int = 3) -> list[str]:
    """For the first few counter documents differing from the cases, each path that differs
    (expected, stored), and what the journal still lists as unfinished."""
    cases = list(db.cases.find({}, {"opening": 0}))
    differing = counting.counters_differing(counting.expected_counters(cases),
                                            counting.stored_counters(db.counters.find({})))
    lines = []
    for counter_id, (expected, stored) in sorted(differing.items())[:most]:
        paths = _flat(expected or {}) | _flat(stored or {})
        wrong = {p: (_flat(expected or {}).get(p, 0), _flat(stored or {}).get(p, 0)) for p in sorted(paths)
                 if _flat(expected or {}).get(p, 0) != _flat(stored or {}).get(p, 0)}
        lines.append(f"    counter {counter_id}: (expected, stored) {wrong}")
    if differing:
        unfinished = [(page["_id"], sorted(page.get("pending") or {})) for page in db.journal_instances.find({})]
        lines.append(f"    journal pages (instance, pending): {unfinished}")
    return lines


def _flat(tree: Mapping, prefix: str = "") -> dict[str, int]:
    flat: dict[str, int] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat

"""Statistics for one community over 1,000,000 stored cases: the `stats` RPC beside a bare
nameko echo in the same run. Cases and their counters are written straight into the
database (counters computed with the service's own counting rules), the tree through rosters."""

import random
import time
from collections import defaultdict
from datetime import date, timedelta

from nameko.standalone.rpc import ClusterRpcProxy

from bench.harness import SECRET, cases_cluster, measure
from services.cases import counting
from shared.actor import Actor, context_for
from shared.mongo import mongo_client
from shared.stack.ports import wait_until

CASES = 1_000_000
YEAR = 2026
CATEGORIES = ["drains", "street_lights", "water_pipes", "sanitation", "neighbour_dispute", "parking", "noise",
              "leaks", "facilities", "property_services", "safety_hazard", "other"]
OUTCOMES = [  # share, fields of the case at the end
    (35, {"state": "closed", "self_resolved": True, "resolved_at": 1, "evaluations": [{"satisfied": True}]}),
    (40, {"state": "closed", "escalated_at": 1, "dispatched_at": 1, "accepted_at": 1, "responded_on_time": True,
          "resolved_at": 1, "resolved_on_time": True, "evaluations": [{"satisfied": True}]}),
    (10, {"state": "in_progress", "escalated_at": 1, "dispatched_at": 1, "accepted_at": 1, "overdue": ["resolution"]}),
    (5, {"state": "reopened", "escalated_at": 1, "dispatched_at": 1, "accepted_at": 1, "resolved_at": 1,
         "reopen_count": 1, "evaluations": [{"satisfied": False}]}),
    (10, {"state": "reported"}),
]


def build_tree(rosters) -> tuple[dict, list[list[str]]]:
    """A community with 4 grids, 20 estates and 200 buildings; returns it and each building's scope."""
    district = rosters.create_unit(name="基准区", level="district")
    street = rosters.create_unit(parent_id=district["unit_id"], name="基准街道", level="street")
    community = rosters.create_unit(parent_id=street["unit_id"], name="基准社区", level="community")
    scopes = []
    for g in range(4):
        grid = rosters.create_unit(parent_id=community["unit_id"], name=f"第{g + 1}网格", level="grid")
        for e in range(5):
            estate = rosters.create_unit(parent_id=grid["unit_id"], name=f"小区{g}{e}", level="estate",
                                         facts={"has_property_company": e % 2 == 0})
            for b in range(10):
                building = rosters.create_unit(parent_id=estate["unit_id"], name=f"{b + 1}栋", level="building")
                scopes.append([community["unit_id"], grid["unit_id"], estate["unit_id"], building["unit_id"]])
    return community, scopes


def generate(community: dict, scopes: list[list[str]], db) -> int:
    """Insert the cases and their counter documents; returns how many cases were received."""
    rng = random.Random(11)
    weights = [w for w, _ in OUTCOMES]
    effects = {(o, c): counting.deltas(None, {**fields, "category": c})  # the counts a case ends with
               for o, (_, fields) in enumerate(OUTCOMES) for c in CATEGORIES}
    per_building: dict[tuple, int] = defaultdict(int)  # (day, building index, category, metric) → count
    batch, start = [], date(YEAR, 1, 1)
    for n in range(CASES):
        day = start + timedelta(days=n * 365 // CASES)
        b = rng.randrange(len(scopes))
        category = CATEGORIES[n % len(CATEGORIES)]
        outcome = rng.choices(range(len(OUTCOMES)), weights)[0]
        batch.append({"_id": f"case_bench{n:07d}", "version": 1, "category": category, "urgency": "normal",
                      "channel": "visit", "community_id": community["unit_id"], "unit_id": scopes[b][-1],
                      "lineage": [*community["ancestors"], *scopes[b]], "scope": [*community["ancestors"], *scopes[b]],
                      "received_day": day.isoformat(),
                      **OUTCOMES[outcome][1]})
        for metric, amount in effects[(outcome, category)][category].items():
            per_building[(day, b, category, metric)] += amount
        if len(batch) == 10_000:
            db["cases"].insert_many(batch, ordered=False)
            batch = []
    if batch:
        db["cases"].insert_many(batch, ordered=False)
    counters: dict[str, dict] = defaultdict(dict)
    above = community["ancestors"]
    for (day, b, cat, metric), amount in per_building.items():
        for period in counting.periods(day):
            for node in [*above, *scopes[b]]:
                node_counts = counters[f"{node}:{period}"].setdefault(cat, {})
                node_counts[metric] = node_counts.get(metric, 0) + amount
    docs = [{"_id": cid, "c": c, "marks": {}} for cid, c in counters.items()]
    for start in range(0, len(docs), 5000):
        db["counters"].insert_many(docs[start:start + 5000])
    return sum(v for k, v in per_building.items() if k[3] == "received")


def main() -> None:
    with cases_cluster() as (stack, env):
        context = context_for(Actor("bench", "system"), SECRET)
        db = mongo_client(stack.mongo_uri)[env["CASES_DB"]]
        with ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, context_data=context, timeout=60) as rpc:
            wait_until(lambda: rpc.echo.echo(x=1) == {"x": 1}, 60, "echo service")
            wait_until(lambda: rpc.cases.search(limit=1) is not None, 60, "cases service")
            wait_until(lambda: rpc.rosters.labels() is not None, 60, "rosters service")
            community, scopes = build_tree(rpc.rosters)
            started = time.perf_counter()
            received = generate(community, scopes, db)
            print(f"stored {CASES} cases ({received} received in {YEAR}) and their counter documents "
                  f"in {time.perf_counter() - started:.0f}s")
            year = {"date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31"}
            ragged = {"date_from": f"{YEAR}-01-15", "date_to": f"{YEAR}-12-20"}
            whole = rpc.cases.stats(node_id=community["unit_id"], **year)
            assert whole["totals"]["received"] == received == CASES, whole["totals"]
            echo = measure(lambda i: rpc.echo.echo(node_id=community["unit_id"], **year), 200, warmup=10)
            rows = {
                "stats, district, Jan 15-Dec 20": measure(
                    lambda i: rpc.cases.stats(node_id=community["ancestors"][0], **ragged), 20, warmup=2),
                "stats, community, whole year": measure(
                    lambda i: rpc.cases.stats(node_id=community["unit_id"], **year), 20, warmup=2),
                "stats, community, Jan 15-Dec 20": measure(
                    lambda i: rpc.cases.stats(node_id=community["unit_id"], **ragged), 20, warmup=2),
                "stats, one grid, Jan 15-Dec 20": measure(
                    lambda i: rpc.cases.stats(node_id=scopes[0][1], **ragged), 20, warmup=2),
            }
    print(f"totals {whole['totals']}")
    print(f"rates {whole['rates']}")
    print(f"{'':34}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, row in (("bare nameko echo", echo), *rows.items()):
        print(f"{label:34}{row['calls_per_s']:>10.1f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    print("goal: statistics for one community over 1,000,000 cases under 1 s")


if __name__ == "__main__":
    main()

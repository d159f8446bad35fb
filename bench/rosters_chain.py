"""Responsible-chain RPC with 100,000 units and 20,000 people, beside bare nameko echo.

Run with `make bench`. Prints calls/s and p50/p99 for both, and the p50 ratio (goal ≤ 1.5).
"""

import random
import time
from datetime import date

from nameko.standalone.rpc import ClusterRpcProxy

from bench import cpu
from bench.harness import SECRET, bench_stack, measure, service_process
from services.rosters.tree import DEFAULT_COMMUNITY_LEVELS, default_roles_for
from shared.actor import Actor, context_for
from shared.mongo import mongo_client
from shared.stack.ports import wait_until

SHAPE = [("street", 5), ("community", 10), ("grid", 4), ("estate", 5), ("building", 10), ("unit", 9)]
ROLE_AT = {"community": "secretary", "grid": "grid_leader", "estate": "group_leader",
           "building": "building_leader", "unit": "unit_leader"}
PEOPLE = 20_000
CALLS = 2_000


def build_tree() -> tuple[list[dict], list[dict], list[dict]]:
    """Units, people and appointments shaped as the service stores them."""
    root = {"_id": "u0", "name": "区", "level": "district", "parent_id": None, "ancestors": [], "path": ["区"],
            "community_id": None, "facts": {}, "retired": False, "leaders": []}
    units, level_nodes = [root], [root]
    for level, fanout in SHAPE:
        next_nodes = []
        for parent in level_nodes:
            for i in range(fanout):
                unit = {"_id": f"{parent['_id']}.{i}", "name": f"{level}{i}", "level": level,
                        "parent_id": parent["_id"], "ancestors": [*parent["ancestors"], parent["_id"]],
                        "path": [*parent["path"], f"{level}{i}"], "facts": {}, "retired": False, "leaders": []}
                unit["community_id"] = unit["_id"] if level == "community" else parent.get("community_id")
                if level == "community":
                    unit["config"] = {"levels": DEFAULT_COMMUNITY_LEVELS,
                                      "roles": default_roles_for(DEFAULT_COMMUNITY_LEVELS)}
                if level == "estate":
                    unit["facts"] = {"has_property_company": i % 2 == 0}
                next_nodes.append(unit)
        units.extend(next_nodes)
        level_nodes = next_nodes
    people, appointments = [], []
    candidates = [u for u in units if u["level"] in ROLE_AT]
    for n, unit in enumerate(candidates[:PEOPLE]):
        lineage = [*unit["ancestors"], unit["_id"]]
        person = {"_id": f"p{n}", "name": f"居民{n}", "phone": f"138{n:08d}", "party_member": n % 3 == 0,
                  "skills": [], "interests": [], "places": lineage}
        appointment = {"_id": f"a{n}", "person_id": person["_id"], "unit_id": unit["_id"], "lineage": lineage,
                       "community_id": unit["community_id"], "role": ROLE_AT[unit["level"]], "status": "appointed",
                       "term_start": date(2024, 1, 1).isoformat(), "term_end": date(2026, 12, 31).isoformat()}
        unit["leaders"].append({"appointment_id": appointment["_id"], "person_id": person["_id"],
                                "name": person["name"], "role": appointment["role"], "phone": person["phone"]})
        people.append(person)
        appointments.append(appointment)
    return units, people, appointments


def load(mongo_uri: str, db_name: str) -> list[str]:
    units, people, appointments = build_tree()
    db = mongo_client(mongo_uri)[db_name]
    for name, docs in (("units", units), ("people", people), ("appointments", appointments)):
        for start in range(0, len(docs), 5000):
            db[name].insert_many(docs[start:start + 5000], ordered=False)
    print(f"loaded {len(units)} units, {len(people)} people, {len(appointments)} appointments")
    return [u["_id"] for u in units if u["level"] == "unit"]


def main() -> None:
    with bench_stack() as stack:
        versions = stack.versions()
        print(f"stack: {stack.source}: RabbitMQ {versions['rabbitmq']}, {versions['mongodb']}")
        db_name = f"bench_rosters_{int(time.time())}"
        started = time.perf_counter()
        unit_ids = load(stack.mongo_uri, db_name)
        print(f"load took {time.perf_counter() - started:.1f}s")
        env = {"AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ROSTERS_DB": db_name,
               "ACTOR_SECRET": SECRET}
        context = context_for(Actor("bench", "system"), SECRET)
        with service_process("bench.echo_service", env, "bench/echo.yml"), \
                service_process("services.rosters.service", env, "services/rosters/config.yml"), \
                ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, context_data=context, timeout=30) as rpc:
            wait_until(lambda: rpc.echo.echo(x=1) == {"x": 1}, 60, "echo service")
            wait_until(lambda: rpc.rosters.unit_cache_status()["last_load"] is not None, 300, "rosters unit load")
            print(f"rosters unit cache: {rpc.rosters.unit_cache_status()}")
            rng = random.Random(7)
            sample = [rng.choice(unit_ids) for _ in range(CALLS + 100)]
            chain = rpc.rosters.responsible_chain(unit_id=sample[0])
            assert chain[-1]["level"] == "community" and len(chain) == 5, chain
            echo = measure(lambda i: rpc.echo.echo(unit_id=sample[i]), CALLS)
            lookups = measure(lambda i: rpc.rosters.responsible_chain(unit_id=sample[i]), CALLS)
        mongo_client(stack.mongo_uri).drop_database(db_name)
    print(f"{'':22}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, row in (("bare nameko echo", echo), ("responsible_chain", lookups)):
        print(f"{label:22}{row['calls_per_s']:>10.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    for label, row in (("bare nameko echo", echo), ("responsible_chain", lookups)):
        print(f"CPU ms per call, {label}: {cpu.describe(row['cpu_ms'])}")
    ratio = lookups["p50_ms"] / echo["p50_ms"]
    print(f"chain p50 / echo p50 = {ratio:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()

"""Statistics equal the data: cases reported and moved along by several clients at once
through two cases processes, then every counter document checked against the cases stored,
again after the takeover time and several sweeps have passed."""

import time

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from services.cases import counting
from services.rosters.demo import find_place, load_demo
from shared.clock import local_date, utcnow
from shared.mongo import mongo_client
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop

CLIENTS, REPORTS_EACH, TAKEOVER_SECONDS = 4, 40, 2
UNITS = ["金昌花园/1栋/1单元", "金昌花园/2栋/1单元", "名都凯旋城/2栋/2单元", "华尔星城/二期8栋/1单元"]


def test_every_counter_equals_the_cases_stored_after_concurrent_work_and_the_sweeps(cluster_env, rosters_process):
    env = {**cluster_env, "STEP_TAKEOVER_SECONDS": str(TAKEOVER_SECONDS), "OUTBOX_SWEEP_SECONDS": "0.3"}
    ready = lambda rpc: rpc.cases.search(limit=1)["total"] >= 0  # noqa: E731
    first, second = run_service("cases", env, ready), run_service("cases", env, ready)
    try:
        config = {"AMQP_URI": env["AMQP_URI"]}
        with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
            places = load_demo(ops.rosters)
        units = [find_place(places, path) for path in UNITS]

        pool = eventlet.GreenPool(CLIENTS)
        played = sum(pool.imap(lambda n: play(config, units, n), range(CLIENTS)), [])
        time.sleep(1.5)  # the finishing window of the last steps
        settled = counter_mismatches(env)
        time.sleep(3 * TAKEOVER_SECONDS + 2)
        after_sweeps = counter_mismatches(env)
        with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
            today = local_date(utcnow()).isoformat()
            totals = ops.cases.stats(node_id=find_place(places, "雨花区"), date_from=today, date_to=today)["totals"]
    finally:
        stop(first)
        stop(second)

    print(f"\n{len(played)} cases by {CLIENTS} clients through 2 cases processes; "
          f"counter documents differing from the cases: {len(settled)} once settled, "
          f"{len(after_sweeps)} after {3 * TAKEOVER_SECONDS + 2} s more of sweeps")
    assert len(played) == CLIENTS * REPORTS_EACH
    assert settled == {}, settled
    assert after_sweeps == {}, after_sweeps
    assert totals["received"] == sum(1 for p in played if p["unit"] in units[:3])


def play(config: dict, units: list[str], client: int) -> list[dict]:
    """One client reports its cases and takes each along one of four paths."""
    played = []
    with ClusterRpcProxy(config, context_data=actor_context(f"client{client}"), timeout=30) as rpc:
        for i in range(REPORTS_EACH):
            unit = units[(client + i) % len(units)]
            case = rpc.cases.report(channel="visit", unit_id=unit, category="drains",
                                    reporter={"name": "王大爷", "phone": "13900001111"},
                                    description=f"下水道堵塞 {client}-{i}")
            cid, path = case["case_id"], i % 4
            if path == 0:
                rpc.cases.self_resolve(case_id=cid, result="康师傅疏通了下水道")
                rpc.cases.evaluate(case_id=cid, satisfied=True)
            elif path in (1, 2):
                rpc.cases.escalate(case_id=cid)
                rpc.cases.triage(case_id=cid, category="street_lights" if path == 2 else "drains")
                rpc.cases.dispatch(case_id=cid, assignee={"kind": "community", "name": "嘉园社区"})
                rpc.cases.accept(case_id=cid)
                rpc.cases.resolve(case_id=cid, result="已处理")
                rpc.cases.evaluate(case_id=cid, satisfied=path == 1, reason="又坏了")
            played.append({"case_id": cid, "unit": unit})
    return played


def counter_mismatches(env: dict) -> dict:
    """Counter document id → (expected, stored) wherever the stored counts differ from what
    the cases in the database add up to."""
    client = mongo_client(env["MONGO_URI"])
    try:
        db = client[env["CASES_DB"]]
        expected = counting.expected_counters(db.cases.find({}, {"opening": 0, "timeline": 0}))
        stored = counting.stored_counters(db.counters.find({}))
    finally:
        client.close()
    return counting.counters_differing(expected, stored)

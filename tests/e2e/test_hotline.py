"""The 12345 sync through `nameko run` processes against the local platform, as a city runs it:
1,000 tickets the platform sends twice and out of order, with transient errors, the hotline
process killed (`kill -9`) part way and restarted, and a two-minute platform outage in the
middle while the community resolves cases. Afterwards: exactly 1,000 cases, each ticket signed
once, each resolution replied once, a malformed record parked while the others flowed on, and
the reconciliation clean. The seeds' noisy air-conditioner ticket goes the whole way: the case
handled and replied, a rework order (重办) reopens it, a second reply, the citizen satisfied."""

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import load_demo
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import actor_context
from tests.e2e.conftest import run_service, stop
from tests.hotline_platform import Simulator

TICKETS = 1000
RESOLVED = 100
OUTAGE_SECONDS = 120
NOISY_NO = "JY2026120100001"
QUICK = {"PULL_SECONDS": "0.5", "SEND_SECONDS": "0.2", "CASE_SYNC_SECONDS": "0.2", "LEASE_SECONDS": "5",
         "RETRY_FIRST_SECONDS": "1", "RETRY_MAX_SECONDS": "20", "CONSUMER_RETRY_FIRST_SECONDS": "0.05"}


def noisy(received_at: datetime) -> dict:
    return {"ticket_no": NOISY_NO, "received_at": received_at.isoformat(), "request_type": "投诉", "urgency": "一般",
            "citizen_name": "王先生", "citizen_phone": "13812345678",
            "content": "隔壁商铺空调外机距住宅仅3米，噪音大、热风直吹，夜间无法入睡",
            "address": "雨花区左家塘街道嘉园社区金昌花园2栋", "category": "噪声扰民", "area_code": "JY",
            "deadline": (received_at + timedelta(days=7)).isoformat()}


def hotline_ready(rpc) -> bool:
    return rpc.hotline.labels() is not None


def handled(cases, case_id: str, result: str) -> None:
    """The office takes the case on and the community resolves it."""
    case = cases.get_case(case_id=case_id)
    if case["state"] == "reported":
        cases.escalate(case_id=case_id, note="需社区协调商铺")
    cases.triage(case_id=case_id, category="noise", urgency="normal", note="商铺空调外机噪声")
    cases.dispatch(case_id=case_id, assignee={"kind": "community", "name": "嘉园社区"})
    cases.accept(case_id=case_id, note="社区受理")
    cases.resolve(case_id=case_id, result=result)


def test_a_thousand_tickets_through_repeats_a_kill_and_an_outage_end_as_a_thousand_cases_replied_once(cluster_env):
    platform = Simulator().start()
    env = {**cluster_env, **QUICK, "HOTLINE_JSON_URL": platform.api}
    rosters = run_service("rosters", env, lambda rpc: rpc.rosters.labels() is not None)
    cases_process = run_service("cases", env, lambda rpc: rpc.cases.labels() is not None)
    hotline = run_service("hotline", env, hotline_ready)
    try:
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, context_data=actor_context(), timeout=30) as ops:
            load_demo(ops.rosters)
            start = datetime.now(UTC) - timedelta(hours=1)
            platform.add(noisy(start))
            platform.generate(TICKETS - 1, seed=7, area_code="JY", received_at=start.isoformat())
            platform.behave(duplicates=True, reorder=True, error_rate=0.02, delay_ms=5)
            signs = lambda: platform.state()["totals"]["signs"]  # noqa: E731

            wait_until(lambda: signs() >= 300, 300, "300 tickets signed")
            os.killpg(hotline.pid, signal.SIGKILL)
            hotline.wait(10)
            at_kill = signs()
            platform.malformed({"type": "ticket", "ticket_no": "JY2026129999999", "content": "缺少来电时间"})
            platform.add(*[{"ticket_no": no, "content": "补充：问题仍未解决"}
                           for no in sorted(platform.state()["tickets"])[500:520]])
            hotline = run_service("hotline", env, hotline_ready)

            wait_until(lambda: signs() >= 600, 300, "600 tickets signed")
            platform.outage(OUTAGE_SECONDS)
            outage_began = time.monotonic()
            signed_here = ops.hotline.list_tickets(state="signed", limit=200)["tickets"]
            resolved = [t for t in signed_here if t["ticket_no"] != NOISY_NO and t["case_id"]][:RESOLVED]
            for ticket in resolved:
                ops.cases.self_resolve(case_id=ticket["case_id"], result="单元长已上门处理")
            noisy_case = ops.hotline.get_ticket(ticket_id=f"demo:{NOISY_NO}")["case_id"]
            handled(ops.cases, noisy_case, "已协调商铺将空调外机移至楼顶")
            replies_during_outage = platform.state()["totals"]["replies"]
            outage_left = OUTAGE_SECONDS - (time.monotonic() - outage_began)

            try:
                wait_until(lambda: signs() >= TICKETS and platform.state()["totals"]["replies"] >= RESOLVED + 1,
                           OUTAGE_SECONDS + 300, "every ticket signed and every resolution replied")
            except TimeoutError as late:
                raise AssertionError(f"{late}; platform {platform.state()['totals']}; hotline "
                                     f"{ops.hotline.sync_state()}; consumer {ops.hotline.consumer_counts()}") from None
            platform.rework(NOISY_NO, "市民反映夜间仍有噪音")
            wait_until(lambda: ops.cases.get_case(case_id=noisy_case)["state"] == "reopened", 60, "the case reopened")
            handled(ops.cases, noisy_case, "外机加装隔音罩并调整朝向，夜间停机")
            wait_until(lambda: platform.state()["tickets"][NOISY_NO]["replies"] == 2, 60, "the second reply")
            platform.behave(duplicates=False, reorder=False, error_rate=0.0)
            platform.survey(NOISY_NO, satisfied=True, comment="噪音问题已解决，满意")
            wait_until(lambda: ops.cases.get_case(case_id=noisy_case)["state"] == "closed", 60, "the case closed")
            time.sleep(3)  # nothing more arrives

            state = platform.state()
            cases_db = mongo_client(env["MONGO_URI"])[env["CASES_DB"]]
            refs = Counter(c["external_ref"] for c in cases_db["cases"].find({"channel": "hotline"},
                                                                            {"external_ref": 1}))
            signed = Counter(t["signs"] for t in state["tickets"].values())
            replies = Counter(t["replies"] for t in state["tickets"].values())
            today = datetime.now(UTC).date()
            report = ops.hotline.reconciliation(platform="demo", date_from=(today - timedelta(days=1)).isoformat(),
                                                date_to=(today + timedelta(days=10)).isoformat())
            [parked] = ops.hotline.parked(kind="record")["parked"]
            noisy_ticket = ops.hotline.get_ticket(ticket_id=f"demo:{NOISY_NO}")
            print(f"\n[hotline] {TICKETS} tickets (duplicates, reordering, 2% errors); hotline killed after {at_kill} "
                  f"signs; outage {OUTAGE_SECONDS}s with {replies_during_outage} replies taken during it "
                  f"({outage_left:.0f}s of it left after resolving); cases {len(refs)} (refs seen once: "
                  f"{set(refs.values())}); signs per ticket {dict(signed)}; replies per ticket {dict(replies)}; "
                  f"repeats absorbed {state['totals']['repeats']}; requests {sum(state['requests'].values())}; "
                  f"calls during the outage {state['calls_during_outage']}; parked record: {parked['reason'][:60]}; "
                  f"reconciliation clean={report['clean']} counts={report['counts']} over {report['tickets']} "
                  f"tickets; noisy ticket {noisy_ticket['state']} with {len(noisy_ticket['replies'])} replies")

            assert len(refs) == TICKETS and set(refs.values()) == {1}
            assert ops.hotline.list_tickets(limit=1)["total"] == TICKETS
            assert signed == {1: TICKETS}
            assert replies == {0: TICKETS - RESOLVED - 1, 1: RESOLVED, 2: 1}
            assert replies_during_outage == 0 and state["calls_during_outage"] > 0
            assert "received_at" in parked["reason"]
            assert report["clean"] is True, report["rows"]
            assert report["tickets"] == TICKETS and report["platform_tickets"] == TICKETS
            assert noisy_ticket["state"] == "closed" and len(noisy_ticket["replies"]) == 2
            timeline = [e["action"] for e in ops.cases.get_case(case_id=noisy_case)["timeline"]]
            assert timeline.count("resolve") == 2 and "evaluate" in timeline
    finally:
        stop(hotline)
        stop(cases_process)
        stop(rosters)
        platform.stop()

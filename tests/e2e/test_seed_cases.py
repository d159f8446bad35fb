"""An outside system plays the seeds' real cases through `nameko run` processes, and the
statistics show exactly what was played."""

import contextlib

from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place, load_demo
from shared.clock import local_date, utcnow
from tests.conftest import actor_context

SECRETARY = ("曾玉琴", "secretary")


def test_four_seed_cases_close_the_loop_and_the_statistics_match(cluster_env, cases_process):
    config = {"AMQP_URI": cluster_env["AMQP_URI"]}
    with ClusterRpcProxy(config, context_data=actor_context(), timeout=30) as ops:
        places = load_demo(ops.rosters)
    place = lambda path: find_place(places, path)  # noqa: E731
    jiayuan, lianfu = place("嘉园社区"), place("联福社区")
    leader = actor_context("康早新", "unit_leader", (place("金昌花园/2栋/1单元"),))
    secretary = actor_context(*SECRETARY, (jiayuan,))
    with ClusterRpcProxy(config, context_data=leader, timeout=30) as as_leader, \
            ClusterRpcProxy(config, context_data=secretary, timeout=30) as as_secretary, \
            ClusterRpcProxy(config, context_data=actor_context("12345平台", "system"), timeout=30) as hotline, \
            contextlib.ExitStack() as assignees:

        def as_actor(who: str, role: str):  # another person of 嘉园社区
            context = actor_context(who, role, (jiayuan,))
            return assignees.enter_context(ClusterRpcProxy(config, context_data=context, timeout=30)).cases

        drain = blocked_drain_cleared_by_the_plumber_unit_leader(as_leader.cases, place)
        leak = leak_into_the_flat_below_settled_by_mediation(as_secretary.cases, as_actor, place)
        gate, meeting = rotten_gate_replaced_after_a_bench_meeting(as_secretary.cases, as_actor, place)
        ac = noisy_ac_unit_from_a_hotline_ticket(hotline.cases, place)
        today = local_date(utcnow()).isoformat()
        jiayuan_stats = hotline.cases.stats(node_id=jiayuan, date_from=today, date_to=today)
        lianfu_stats = hotline.cases.stats(node_id=lianfu, date_from=today, date_to=today)
        district_stats = hotline.cases.stats(node_id=place("雨花区"), date_from=today, date_to=today)
        closed = hotline.cases.search(node_id=jiayuan, state=["closed"])

    assert drain["state"] == leak["state"] == gate["state"] == ac["state"] == "closed"
    assert drain["self_resolved"] is True and [e["action"] for e in drain["timeline"]][-1] == "evaluate"
    assert leak["mediations"][0]["compensation_fen"] == 80000
    shares = meeting["cost_split"]["shares"]
    assert sum(s["share_fen"] for s in shares) == 260000 and {s["share_fen"] for s in shares} == {21666, 21667}
    assert meeting["agenda"][0]["adopted"] is True and sum(s["paid"] for s in shares) == 12
    assert ac["reopen_count"] == 1 and ac["external_ref"] == "12345-20260615-0086"
    assert jiayuan_stats["totals"] | EXPECTED_JIAYUAN == jiayuan_stats["totals"]
    assert jiayuan_stats["rates"]["self_resolved_rate"] == round(1 / 3, 4)
    assert jiayuan_stats["rates"]["satisfaction_rate"] == 1.0
    assert lianfu_stats["totals"] | EXPECTED_LIANFU == lianfu_stats["totals"]
    assert lianfu_stats["rates"]["satisfaction_rate"] == 0.5 and lianfu_stats["rates"]["reopen_rate"] == 1.0
    assert district_stats["totals"] == jiayuan_stats["totals"]
    assert closed["total"] == 3


EXPECTED_JIAYUAN = {"received": 3, "self_resolved": 1, "escalated": 2, "dispatched": 2, "responded": 2,
                    "resolved": 3, "evaluated": 3, "evaluations": 3, "satisfied": 3, "reopened": 0, "closed": 3}
EXPECTED_LIANFU = {"received": 1, "self_resolved": 0, "escalated": 1, "dispatched": 1, "responded": 1,
                   "resolved": 1, "evaluated": 1, "evaluations": 2, "satisfied": 1, "reopened": 1, "closed": 1}


def blocked_drain_cleared_by_the_plumber_unit_leader(cases, place) -> dict:
    case = cases.report(channel="visit", unit_id=place("金昌花园/2栋/1单元"), category="drains",
                        reporter={"name": "王大爷", "phone": "13900001111", "household": "2栋1单元101"},
                        description="2栋一楼下水道堵塞，污水返到楼道")
    cases.self_resolve(case_id=case["case_id"], result="单元长康早新（水电工）当天疏通")
    return cases.evaluate(case_id=case["case_id"], satisfied=True, comment="康师傅手艺好",
                          on_behalf_of_reporter="单元长上门回访王大爷")


def leak_into_the_flat_below_settled_by_mediation(cases, as_actor, place) -> dict:
    """The community dispatches the leak to the grid leader the router suggests; she takes it,
    mediates and resolves it as herself; the community records the resident's verdict."""
    case = cases.report(channel="wechat", unit_id=place("名都凯旋城/1栋/1单元"), category="leaks", place="home",
                        reporter={"name": "周阿姨", "phone": "13700003333", "household": "1栋1单元202"},
                        description="楼上302卫生间渗水到我家天花板，要求赔偿")
    cid = case["case_id"]
    cases.escalate(case_id=cid)
    suggestion = cases.triage(case_id=cid)["suggestion"]
    cases.dispatch(case_id=cid, assignee={"kind": suggestion["kind"], "name": suggestion["name"],
                                          "party_id": suggestion["party_id"]})
    grid_leader = as_actor(suggestion["party_id"], "grid_leader")
    grid_leader.accept(case_id=cid)
    parties = [{"name": "周阿姨", "household": "1栋1单元202", "side": "claimant"},
               {"name": "陈先生", "household": "1栋1单元302", "side": "respondent"}]
    grid_leader.mediate(case_id=cid, mediator="刘红", agreement="302重做防水，赔偿202装修费800元",
                        compensation_fen=80000, parties=parties)
    grid_leader.resolve(case_id=cid, result="双方签订调解协议，防水已重做")
    return cases.evaluate(case_id=cid, satisfied=True, on_behalf_of_reporter="社区电话回访周阿姨")


def rotten_gate_replaced_after_a_bench_meeting(cases, as_actor, place) -> tuple[dict, dict]:
    """The community takes the gate itself; the building's leader who reported it brings back
    the residents' verdict (the secretary who took the case may not record it)."""
    case = cases.report(channel="patrol", unit_id=place("金昌花园/3栋"), category="facilities",
                        reporter={"name": "周建强"}, description="3栋木门腐朽，关不上，外人随意进出")
    cid = case["case_id"]
    cases.escalate(case_id=cid)
    cases.triage(case_id=cid)
    cases.dispatch(case_id=cid, assignee={"kind": "community", "name": "嘉园社区"})
    cases.accept(case_id=cid)
    meeting = cases.schedule_meeting(node_id=place("金昌花园/3栋"), kind="bench", title="3栋换铁门板凳议事会",
                                     scheduled_at="2026-06-20T19:30:00+08:00",
                                     agenda=[{"title": "木门换铁门，费用谁受益谁出资", "case_ids": [cid]}])
    households = [f"3栋{unit}{floor}0{door}" for unit in ("1单元", "2单元") for floor in (1, 2, 3) for door in (1, 2)]
    cases.record_meeting(meeting_id=meeting["meeting_id"], eligible=12, minutes="12户到10户，9户同意换铁门",
                         decision="换铁门，2600元由12户均摊，交钱领钥匙",
                         attendees=[{"name": f"住户{i}", "role": "resident", "household": households[i]}
                                    for i in range(10)] + [{"name": "周建强", "role": "leader"}],
                         votes=[{"item": 0, "votes_for": 9, "votes_against": 1}],
                         cost_split={"item": 0, "total_fen": 260000, "households": households})
    for household in households:
        held = cases.record_payment(meeting_id=meeting["meeting_id"], household=household)
    cases.resolve(case_id=cid, result="铁门已安装，钥匙按户发放")
    verdict = as_actor("周建强", "unit_leader").evaluate(case_id=cid, satisfied=True,
                                                      on_behalf_of_reporter="单元长周建强转达住户意见")
    return verdict, held


def noisy_ac_unit_from_a_hotline_ticket(cases, place) -> dict:
    ticket = {"channel": "hotline", "external_ref": "12345-20260615-0086", "unit_id": place("华尔星城/二期8栋/1单元"),
              "category": "noise", "urgency": "urgent", "reporter": {"name": "市民", "phone": "13500005555"},
              "description": "邻居空调外机距我家仅3米，噪音大且对着窗户排热风"}
    case = cases.report(**ticket)
    assert cases.report(**ticket)["case_id"] == case["case_id"]
    cid = case["case_id"]
    cases.escalate(case_id=cid)
    for result, satisfied in (("移机协商未果", False), ("空调外机已移到远离住宅一侧", True)):
        cases.triage(case_id=cid)
        cases.dispatch(case_id=cid, assignee={"kind": "community", "name": "联福社区"})
        cases.accept(case_id=cid)
        cases.resolve(case_id=cid, result=result)
        verdict = cases.evaluate(case_id=cid, satisfied=satisfied, reason=None if satisfied else "外机还在原处")
    return verdict

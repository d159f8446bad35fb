"""The case loop through the real cases and rosters services on the real broker and database."""

import eventlet
import pytest

from shared.errors import InvalidTransition
from tests.events import EventTap
from tests.integration.cases.conftest import drain_report

ALL_EVENTS = ["case_reported", "case_escalated", "case_triaged", "case_dispatched", "case_accepted",
              "case_returned", "case_resolved", "case_evaluated", "case_reopened", "case_closed", "case_overdue"]


def test_a_drain_the_unit_leader_clears_himself_is_closed_on_the_residents_verdict(stack, cases, place):
    tap = EventTap(stack.amqp_uri, "cases", ALL_EVENTS)
    case = cases.report(**drain_report(place("金昌花园/2栋/1单元")))

    cases.self_resolve(case_id=case["case_id"], result="康师傅疏通了下水道")
    closed = cases.evaluate(case_id=case["case_id"], satisfied=True, comment="很满意")

    assert closed["state"] == "closed"
    assert [e["action"] for e in closed["timeline"]] == ["report", "self_resolve", "evaluate"]
    events = tap.wait_for(4)
    assert [e["type"] for e in events] == ["case_reported", "case_resolved", "case_evaluated", "case_closed"]
    assert events[0]["payload"]["reporter"]["phone"] == "139****1111"


def test_an_escalated_case_goes_through_triage_dispatch_and_a_reopen(cases, place):
    case = cases.report(**drain_report(place("金昌花园/1栋/1单元"), category="street_lights", place="shared"))
    cid = case["case_id"]

    cases.escalate(case_id=cid, note="需要更换灯具")
    triaged = cases.triage(case_id=cid)
    cases.dispatch(case_id=cid, assignee={"kind": "community", "name": "嘉园社区"})
    cases.accept(case_id=cid)
    cases.progress(case_id=cid, note="已联系电工", site_visit=True)
    cases.resolve(case_id=cid, result="更换了路灯")
    reopened = cases.evaluate(case_id=cid, satisfied=False, reason="第二天又不亮了")

    assert triaged["suggestion"]["kind"] == "community"
    assert "无物业" in triaged["suggestion"]["reason"]
    assert reopened["state"] == "reopened" and reopened["reopen_count"] == 1
    assert reopened["version"] == 8


def test_a_step_the_state_does_not_allow_names_the_current_state(cases, place):
    case = cases.report(**drain_report(place("金昌花园/2栋/1单元")))

    with pytest.raises(InvalidTransition) as error:
        cases.resolve(case_id=case["case_id"], result="done")

    assert error.value.details[0]["current_state"] == "reported"
    assert cases.get_case(case_id=case["case_id"])["version"] == 1


def test_of_two_people_accepting_at_once_exactly_one_wins(cases_service, rpc_as, cases, place):
    case = cases.report(**drain_report(place("金昌花园/2栋/1单元")))
    cid = case["case_id"]
    cases.escalate(case_id=cid)
    cases.triage(case_id=cid)
    cases.dispatch(case_id=cid, assignee={"kind": "support_team", "name": "党员志愿服务队"})
    proxies = [rpc_as(who=name, role="admin").cases for name in ("李律师", "张警官")]

    outcomes = list(eventlet.GreenPool(2).imap(lambda proxy: _try_accept(proxy, cid), proxies))

    assert sorted(o[0] for o in outcomes) == ["lost", "won"]
    final = cases.get_case(case_id=cid)
    assert [e["action"] for e in final["timeline"]].count("accept") == 1
    assert final["handler"]["who"] == next(o[1] for o in outcomes if o[0] == "won")


def _try_accept(proxy, case_id):
    try:
        return "won", proxy.accept(case_id=case_id)["handler"]["who"]
    except InvalidTransition as lost:
        return "lost", lost.details[0]["current_state"]


def test_the_same_hotline_ticket_twice_is_one_case(cases, place):
    ticket = {"channel": "hotline", "external_ref": "12345-20261125-0001", "category": "noise",
              "unit_id": place("名都凯旋城/1栋/1单元"), "reporter": {"name": "李女士", "phone": "13700002222"},
              "description": "空调外机距离住宅3米，噪音大"}

    first = cases.report(**ticket)
    second = cases.report(**ticket)

    assert first["case_id"] == second["case_id"]
    assert cases.search(node_id=place("名都凯旋城"))["total"] == 1


def test_a_unit_leader_sees_the_reporters_phone_masked_and_only_unmasked_reads_are_audited(rpc_as, place,
                                                                                            cases_service, cases_db):
    leader = rpc_as(who="康早新", role="unit_leader", jurisdiction=[place("金昌花园/2栋/1单元")]).cases
    secretary = rpc_as(who="曾玉琴", role="secretary", jurisdiction=[place("嘉园社区")]).cases
    case = leader.report(**drain_report(place("金昌花园/2栋/1单元")))

    seen = leader.get_case(case_id=case["case_id"])
    unmasked = secretary.get_case(case_id=case["case_id"])

    assert case["reporter"]["phone"] == seen["reporter"]["phone"] == "139****1111"
    assert unmasked["reporter"]["phone"] == "13900001111"
    audit = list(cases_db["pii_reads"].find({}, {"_id": 0, "at": 0}))
    assert audit == [{"actor": {"who": "曾玉琴", "role": "secretary", "jurisdiction": [place("嘉园社区")]},
                      "rpc": "get_case", "subjects": [case["case_id"]]}]


def test_statistics_count_what_happened_under_the_estate(cases, place):
    closed = cases.report(**drain_report(place("金昌花园/2栋/1单元")))
    cases.self_resolve(case_id=closed["case_id"], result="疏通")
    cases.evaluate(case_id=closed["case_id"], satisfied=True)
    escalated = cases.report(**drain_report(place("金昌花园/3栋/1单元"), category="parking"))
    cases.escalate(case_id=escalated["case_id"])
    day = closed["received_day"]

    stats = cases.stats(node_id=place("金昌花园"), date_from=day, date_to=day)

    totals = stats["totals"]
    assert (totals["received"], totals["self_resolved"], totals["escalated"], totals["closed"]) == (2, 1, 1, 1)
    assert stats["rates"]["satisfaction_rate"] == 1.0
    assert stats["by_category"]["drains"]["totals"]["closed"] == 1

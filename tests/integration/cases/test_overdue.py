"""Overdue cases are flagged by the timer and supervised one level further up each round (督办)."""

from services.cases.service import CasesService
from shared.stack.ports import wait_until
from tests.events import EventTap
from tests.integration.cases.conftest import drain_report

INSTANT = {"critical": {"response": {"hours": 0}, "resolution": {"hours": 100}}}


def test_an_overdue_case_is_supervised_up_the_responsible_chain(stack, container_factory, cases_config,
                                                                rosters_service, rpc_as, place):
    config = {**cases_config, "DEADLINES": INSTANT, "OVERDUE_SCAN_SECONDS": 0.3, "SUPERVISE_EVERY_HOURS": 0.0005}
    container_factory(CasesService, config).start()
    cases = rpc_as().cases
    tap = EventTap(stack.amqp_uri, "cases", ["case_overdue"])
    case = cases.report(**drain_report(place("金昌花园/2栋/1单元"), urgency="critical"))

    cases.escalate(case_id=case["case_id"])

    events = tap.wait_for(2, timeout=20)
    supervisors = [e["payload"]["detail"]["supervisors"] for e in events]
    assert [s["name"] for s in supervisors] == ["红花坡片区", "第一网格"]
    assert supervisors[0]["leaders"] == [{"name": "陈平", "role": "zone_leader"}]
    seen = cases.get_case(case_id=case["case_id"])
    assert seen["overdue"] == ["response"] and seen["supervision_level"] >= 2
    assert cases.search(overdue=True, node_id=place("金昌花园"))["total"] == 1


def test_accepting_in_time_stops_the_watch(stack, container_factory, cases_config, rosters_service, rpc_as, place,
                                           cases_db):
    container_factory(CasesService, {**cases_config, "OVERDUE_SCAN_SECONDS": 0.3}).start()
    cases = rpc_as().cases
    case = cases.report(**drain_report(place("金昌花园/2栋/1单元")))
    cid = case["case_id"]
    cases.escalate(case_id=cid)
    wait_until(lambda: cases_db["deadline_watches"].find_one({"_id": cid}), 10, "the deadline watch")
    watched = cases_db["deadline_watches"].find_one({"_id": cid})

    cases.triage(case_id=cid)
    cases.dispatch(case_id=cid, assignee={"kind": "community", "name": "嘉园社区"})
    cases.accept(case_id=cid)
    cases.resolve(case_id=cid, result="疏通完毕")

    assert watched["unmet"] == ["resolution", "response"]
    wait_until(lambda: cases_db["deadline_watches"].find_one({"_id": cid}) is None, 10, "the watch dropped")
    assert cases.get_case(case_id=cid)["resolved_on_time"] is True

"""The hotline service against the local platform over real sockets, with real cases and rosters
services on the real broker and database: tickets sent twice and out of order become one case
each, the case's resolution is replied once, a platform outage delays calls without losing or
doubling them, a survey and a rework order reopen the case, a malformed record is parked and the
others flow on."""

import time

import pytest

from shared.stack.ports import wait_until

NOISY = {"ticket_no": "JY2026120100001", "received_at": "2026-12-01T09:12:00+08:00", "request_type": "投诉",
         "urgency": "一般", "citizen_name": "王先生", "citizen_phone": "13812345678",
         "content": "隔壁商铺空调外机距住宅仅3米，噪音大、热风直吹，夜间无法入睡",
         "address": "雨花区左家塘街道嘉园社区金昌花园2栋", "category": "噪声扰民", "area_code": "JY",
         "deadline": "2026-12-08T18:00:00+08:00"}


def settled(hotline, platform, tickets: int, timeout: float = 60) -> dict:
    """Wait until `tickets` tickets are here, each with its case and signed on the platform."""

    def done() -> bool:
        listed = hotline.list_tickets(limit=1)
        state = platform.state()["totals"]
        return listed["total"] >= tickets and state["signs"] >= tickets
    wait_until(done, timeout, f"{tickets} tickets signed")
    return platform.state()


def case_of(hotline, ticket_no: str, platform_name: str = "city") -> str:
    ticket = hotline.get_ticket(ticket_id=f"{platform_name}:{ticket_no}")
    assert ticket["case_id"], ticket
    return ticket["case_id"]


def resolve(cases, case_id: str, result: str) -> dict:
    cases.escalate(case_id=case_id, note="需社区协调")
    cases.triage(case_id=case_id, category="noise", urgency="normal", note="商铺噪声")
    cases.dispatch(case_id=case_id, assignee={"kind": "community", "name": "嘉园社区"})
    cases.accept(case_id=case_id, note="社区受理")
    return cases.resolve(case_id=case_id, result=result)


def test_tickets_sent_twice_and_out_of_order_become_one_case_each_and_are_signed_once(hotline, platform, cases,
                                                                                       mongo, cases_db):
    platform.add(NOISY)
    platform.generate(40, seed=3, area_code="JY")
    platform.behave(duplicates=True, reorder=True)
    platform.add({"ticket_no": NOISY["ticket_no"], "content": NOISY["content"] + "（补充：晚上十点后最吵）"})
    platform.malformed({"type": "ticket", "ticket_no": "JY2026120199999"})

    state = settled(hotline, platform, 41)

    assert state["totals"]["signs"] == 41 and all(t["signs"] == 1 for t in state["tickets"].values())
    hotline_cases = list(cases_db["cases"].find({"channel": "hotline"}, {"external_ref": 1}))
    assert len(hotline_cases) == 41 and len({c["external_ref"] for c in hotline_cases}) == 41
    noisy = hotline.get_ticket(ticket_id=f"city:{NOISY['ticket_no']}")
    assert noisy["revision"] == 2 and noisy["content"].endswith("（补充：晚上十点后最吵）")
    [parked] = hotline.parked(kind="record")["parked"]
    assert "JY2026120199999" in parked["record"] and "received_at" in parked["reason"]


def test_the_resolution_is_replied_once_and_a_rework_reopens_the_case(hotline, platform, cases):
    platform.add(NOISY)
    settled(hotline, platform, 1)
    case_id = case_of(hotline, NOISY["ticket_no"])

    resolve(cases, case_id, "已协调商铺将空调外机移至楼顶并加装隔音罩")
    wait_until(lambda: platform.state()["tickets"][NOISY["ticket_no"]]["replies"] == 1, 30, "the reply")
    platform.rework(NOISY["ticket_no"], "市民反映外机仍有噪音")
    wait_until(lambda: cases.get_case(case_id=case_id)["state"] == "reopened", 30, "the case reopened")

    time.sleep(2)  # nothing more arrives
    ticket = platform.state()["tickets"][NOISY["ticket_no"]]
    assert ticket["replies"] == 1 and ticket["state"] == "reworking"
    timeline = cases.get_case(case_id=case_id)["timeline"]
    assert timeline[-1]["detail"]["reason"] == "12345重办：市民反映外机仍有噪音"


def test_replies_wait_out_an_outage_and_arrive_once(hotline, platform, cases):
    platform.generate(5, seed=4, area_code="JY")
    settled(hotline, platform, 5)
    numbers = sorted(platform.state()["tickets"])
    platform.outage(6)
    for no in numbers:
        resolve(cases, case_of(hotline, no), "已处理")
    time.sleep(3)
    assert platform.state()["totals"]["replies"] == 0  # down: nothing taken yet

    wait_until(lambda: platform.state()["totals"]["replies"] == 5, 120, "the replies after the outage")
    time.sleep(2)
    state = platform.state()
    assert state["totals"]["replies"] == 5 and all(state["tickets"][no]["replies"] == 1 for no in numbers)
    assert state["calls_during_outage"] > 0


@pytest.mark.parametrize("satisfied", [True, False])
def test_the_survey_closes_or_reopens_the_case(hotline, platform, cases, satisfied):
    platform.add(NOISY)
    settled(hotline, platform, 1)
    case_id = case_of(hotline, NOISY["ticket_no"])
    resolve(cases, case_id, "已处理")
    wait_until(lambda: platform.state()["tickets"][NOISY["ticket_no"]]["replies"] == 1, 30, "the reply")

    platform.survey(NOISY["ticket_no"], satisfied=satisfied, comment="满意" if satisfied else "没解决")
    expected = "closed" if satisfied else "reopened"
    wait_until(lambda: cases.get_case(case_id=case_id)["state"] == expected, 30, f"the case {expected}")
    assert hotline.get_ticket(ticket_id=f"city:{NOISY['ticket_no']}")["state"] == ("closed" if satisfied
                                                                                    else "reworking")

"""The conditions the rights table puts on a case itself: only the assignee's side takes and
works it; the verdict is the reporter's, or staff's on the reporter's behalf and saying so,
never the handler's; a resident sees only their own reports. A refusal changes nothing."""

import pytest

from services.cases import commands
from shared.actor import Actor
from shared.errors import Forbidden
from tests.service.cases.making import DRAINS, case_in, step
from tests.service.conftest import OPS, POLICY
from tests.service.street import COMMUNITY, KANG, UNIT, ZENG

JURISDICTION = ("unit_yuhua", "unit_zjt", COMMUNITY)
PROPERTY = {"kind": "property_company", "name": "金昌物业", "party_id": "org_jinchang_wuye"}
JINCHANG_WUYE = Actor("org_jinchang_wuye", "property_company", JURISDICTION)
OTHER_WUYE = Actor("org_other_wuye", "property_company", JURISDICTION)
RESIDENT = Actor("resident_wang", "resident", (*JURISDICTION, "unit_grid1", "unit_hhp", "unit_jinchang", "unit_jc2",
                                               UNIT))
NEIGHBOUR = Actor("resident_li", "resident", RESIDENT.jurisdiction)


def dispatched_to(assignee: dict, store, roster, clock, reporter: Actor = OPS) -> dict:
    case = commands.report(store, roster, reporter, DRAINS, POLICY, clock())
    for command, data in (("escalate", {"note": "需要物业处理"}),
                          ("triage", {"category": None, "urgency": None, "note": None}),
                          ("dispatch", {"assignee": assignee, "co_handlers": []})):
        case = step(store, roster, clock, case["_id"], command, data)
    return case


@pytest.mark.parametrize("actor", [KANG, OTHER_WUYE, ZENG], ids=["unit-leader", "another-company", "secretary"])
def test_only_the_assignees_side_accepts_a_case_dispatched_to_the_property_company(store, roster, clock, actor):
    case = dispatched_to(PROPERTY, store, roster, clock)
    before = store.snapshot()

    with pytest.raises(Forbidden) as refused:
        step(store, roster, clock, case["_id"], "accept", {"note": None}, actor)

    assert (refused.value.details[0]["field"], refused.value.details[0]["reason"]) == (
        "role", "only the assignee's side may do this")
    assert store.snapshot() == before


def test_the_property_company_the_case_was_dispatched_to_accepts_and_resolves_it(store, roster, clock):
    case = dispatched_to(PROPERTY, store, roster, clock)

    step(store, roster, clock, case["_id"], "accept", {"note": "物业接单"}, JINCHANG_WUYE)
    resolved = step(store, roster, clock, case["_id"], "resolve", {"result": "已疏通", "photos": []}, JINCHANG_WUYE)

    assert resolved["state"] == "resolved"
    assert resolved["handler"] == {"who": "org_jinchang_wuye", "role": "property_company"}


def test_the_handler_may_not_enter_the_residents_verdict_on_his_own_case(store, roster, clock):
    case = case_in("in_progress", store, roster, clock)
    handler = Actor(case["handler"]["who"], "secretary", JURISDICTION)
    step(store, roster, clock, case["_id"], "resolve", {"result": "已疏通", "photos": []}, handler)
    before = store.snapshot()

    with pytest.raises(Forbidden) as refused:
        step(store, roster, clock, case["_id"], "evaluate",
             {"satisfied": True, "on_behalf_of_reporter": "电话回访"}, handler)

    assert refused.value.details[0]["field"] == "role"
    assert store.snapshot() == before


def test_staff_record_a_verdict_only_on_the_reporters_behalf_and_the_timeline_says_how(store, roster, clock):
    case = dispatched_to(PROPERTY, store, roster, clock)
    step(store, roster, clock, case["_id"], "accept", {"note": None}, JINCHANG_WUYE)
    step(store, roster, clock, case["_id"], "resolve", {"result": "已疏通", "photos": []}, JINCHANG_WUYE)

    with pytest.raises(Forbidden) as unsaid:
        step(store, roster, clock, case["_id"], "evaluate", {"satisfied": True}, ZENG)
    closed = step(store, roster, clock, case["_id"], "evaluate",
                  {"satisfied": True, "on_behalf_of_reporter": "电话回访王大爷"}, ZENG)

    assert unsaid.value.details[0]["field"] == "on_behalf_of_reporter"
    assert closed["state"] == "closed"
    assert closed["timeline"][-1]["detail"]["on_behalf_of_reporter"] == "电话回访王大爷"


def test_a_resident_judges_their_own_report_and_a_neighbour_can_neither_read_nor_judge_it(
        store, roster, clock, service_as):
    case = dispatched_to(PROPERTY, store, roster, clock, reporter=RESIDENT)
    step(store, roster, clock, case["_id"], "accept", {"note": None}, JINCHANG_WUYE)
    step(store, roster, clock, case["_id"], "resolve", {"result": "已疏通", "photos": []}, JINCHANG_WUYE)
    before = store.snapshot()

    with pytest.raises(Forbidden):
        service_as(NEIGHBOUR).get_case(case_id=case["_id"])
    with pytest.raises(Forbidden):
        service_as(NEIGHBOUR).evaluate(case_id=case["_id"], satisfied=False, reason="没修好")
    assert store.snapshot() == before
    closed = service_as(RESIDENT).evaluate(case_id=case["_id"], satisfied=True)

    assert closed["state"] == "closed"
    assert service_as(NEIGHBOUR).search()["items"] == []
    assert [c["case_id"] for c in service_as(RESIDENT).search()["items"]] == [case["_id"]]

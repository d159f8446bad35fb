"""The events of cases, volunteers and rosters that concern people: a case dispatched to a
person or to a team, accepted, overdue (up the responsible chain), resolved or reopened; a task
opened, a claim promoted, a reminder, a task nobody claimed; an appointment. However often an
event arrives, each person gets one message."""

from shared.actor import Actor
from shared.events import envelope
from tests.service.notifications.conftest import JIAYUAN

B8U1 = [*JIAYUAN, "unit_grid1", "unit_jinchang", "unit_b8", "unit_b8u1"]
CASE = {"case_id": "case_1", "category_label": "邻里纠纷",
        "unit_path": ["嘉园社区", "第一网格", "金昌花园", "8栋", "1单元"],
        "description": "楼上漏水三天，联系人 13900001111", "assignee": None}


def case_event(kind: str, urgency: str = "normal", **detail) -> dict:
    payload = {"case_id": "case_1", "version": 3, "state": "dispatched", "category": "neighbour_dispute",
               "urgency": urgency, "unit_id": "unit_b8u1", "community_id": "unit_jiayuan", "lineage": B8U1,
               "reporter": {"name": "王大爷", "phone": "139****1111"}, "detail": detail}
    return envelope(kind, payload, {"who": "曾玉琴", "role": "secretary", "jurisdiction": list(JIAYUAN)})


def inbox_of(service_as, person_id: str) -> list[dict]:
    return service_as(Actor(person_id, "resident", ())).inbox()["items"]


def test_a_case_dispatched_to_a_person_tells_them_with_the_cases_place_and_category(service_as, cases, channels,
                                                                                    clock):
    cases.docs["case_1"] = CASE
    event = case_event("case_dispatched", "critical", assignee={"kind": "person", "name": "康早新", "party_id": "p3"})
    service_as().on_case_dispatched(event)
    service_as().on_case_dispatched(event)  # delivered twice
    service_as().send_due()

    [item] = inbox_of(service_as, "p3")
    assert item["title"] == "新派单：邻里纠纷"
    assert "金昌花园8栋1单元" in item["body"] and "139****1111" in item["body"]
    assert [o.person_id for o in channels["sms"].sent] == ["p3"]


def test_a_case_dispatched_to_a_team_tells_its_active_members(service_as, cases, channels, clock):
    cases.docs["case_1"] = CASE
    service_as().on_case_dispatched(case_event("case_dispatched", "critical",
                                               assignee={"kind": "support_team", "name": "爱\"嘉\"团",
                                                         "party_id": "team_legal"}))
    service_as().send_due()

    assert sorted(o.person_id for o in channels["sms"].sent) == ["p20", "p21", "p22"]


def test_an_overdue_case_tells_the_leaders_of_the_supervising_level(service_as, cases, channels, clock):
    cases.docs["case_1"] = CASE
    service_as().on_case_overdue(case_event("case_overdue", "critical", supervision_level=2,
                                            supervisors={"unit_id": "unit_grid1", "name": "第一网格", "level": "grid"}))
    service_as().send_due()

    [item] = inbox_of(service_as, "p3")
    assert item["title"] == "督办：邻里纠纷已超期" and "第一网格" in item["body"]
    assert [o.person_id for o in channels["sms"].sent] == ["p3"]


def test_a_reopened_case_tells_the_leaders_nearest_it_and_its_handler(service_as, cases, clock):
    cases.docs["case_1"] = {**CASE, "assignee": {"kind": "person", "name": "康早新", "party_id": "p3"}}
    service_as().on_case_reopened(case_event("case_reopened"))

    assert [i["title"] for i in inbox_of(service_as, "p1")] == ["重办：邻里纠纷"]  # 8栋1单元's unit leader
    assert [i["title"] for i in inbox_of(service_as, "p3")] == ["重办：邻里纠纷"]


def test_task_reminders_go_to_the_claimants_and_unclaimed_tasks_to_the_teams_office(service_as, clock):
    task = {"task_id": "task_1", "team_id": "team_legal", "team_name": "爱\"嘉\"团", "kind": "legal_talk",
            "title": "老年人防诈骗讲座", "state": "claimed", "case_id": None, "unit_id": None, "lineage": list(JIAYUAN),
            "headcount": 2, "starts_at": "2026-12-01T06:00:00+00:00", "ends_at": "2026-12-01T08:00:00+00:00",
            "claimants": ["p20", "p21"], "waiting": 0}
    actor = {"who": "volunteers", "role": "system", "jurisdiction": []}
    service_as().on_task_reminder(envelope("task_reminder", {**task, "starts_in_minutes": 120}, actor))
    service_as().on_task_unclaimed(envelope("task_unclaimed", {**task, "claimants": [], "starts_in_minutes": 600},
                                            actor))
    service_as().on_task_opened(envelope("task_opened", task, actor))

    assert sorted(i["title"] for i in inbox_of(service_as, "p20")) == ["任务提醒：老年人防诈骗讲座",
                                                                       "爱\"嘉\"团新任务：老年人防诈骗讲座"]
    assert any("12月01日 14:00" in i["body"] for i in inbox_of(service_as, "p21"))
    assert [i["title"] for i in inbox_of(service_as, "p4")] == ["无人认领：老年人防诈骗讲座"]  # the secretary

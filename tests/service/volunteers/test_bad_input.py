"""Every volunteers RPC refuses bad input with a `ValidationFailed` naming the field, and
nothing is written or published: a team with a member, a started task and its hours are in
the database, and every collection is the same before and after the refused call."""

import pytest

from services.volunteers.service import VolunteersService
from shared.errors import ValidationFailed
from tests.conftest import rpc_names
from tests.service.rosters.conftest import kept
from tests.service.volunteers.conftest import OPS, join, open_task, phone_of, volunteer

START, END = "2026-03-04T09:00:00+08:00", "2026-03-04T11:00:00+08:00"
TASK = {"team_id": "@team", "kind": "patrol", "title": "2栋消防通道巡查", "starts_at": START, "ends_at": END}
PERIOD = {"team_id": "@team", "date_from": "2026-03-01", "date_to": "2026-03-31"}


def without(arguments: dict, field: str) -> dict:
    return {k: v for k, v in arguments.items() if k != field}


# rpc, arguments ("@team", "@member", "@task", "@hours": ids of the data), the field named
ROWS = [
    ("create_team", {"name": "嘉园法律服务队"}, "node_id"),
    ("create_team", {"node_id": "unit_jiayuan", "name": "   "}, "name"),
    ("create_team", {"node_id": "unit_jiayuan", "name": "队", "kind": "army"}, "kind"),
    ("create_team", {"node_id": "unit_jiayuan", "name": "队", "categories": ["邻里纠纷"]}, "categories.0"),
    ("create_team", {"node_id": "unit_jiayuan", "name": "队", "leader_phone": "13807310000\n"}, "leader_phone"),
    ("create_team", {"node_id": "unit_jiayuan", "name": "队", "skills": ["法律"] * 21}, "skills"),
    ("get_team", {}, "team_id"),
    ("get_team", {"team_id": "t" * 81}, "team_id"),
    ("list_teams", {"limit": 0}, "limit"),
    ("list_teams", {"category": "Legal!"}, "category"),
    ("apply_member", {"team_id": "@team"}, "phone"),
    ("apply_member", {"team_id": "@team", "phone": "1380731"}, "phone"),
    ("apply_member", {"team_id": "@team", "phone": phone_of(6),
                      "availability": [{"weekday": 8, "start": "09:00", "end": "11:00"}]}, "availability.0.weekday"),
    ("apply_member", {"team_id": "@team", "phone": phone_of(6),
                      "availability": [{"weekday": 1, "start": "11:00", "end": "09:00"}]}, "availability.0.end"),
    ("apply_member", {"team_id": "@team", "phone": phone_of(6), "request_id": ""}, "request_id"),
    ("screen_member", {"member_id": "@member"}, "passed"),
    ("screen_member", {"member_id": "@member", "passed": "maybe"}, "passed"),
    ("set_member_status", {"member_id": "@member", "status": "retired", "reason": "年纪大了"}, "status"),
    ("set_member_status", {"member_id": "@member", "status": "applied"}, "status"),
    ("set_member_status", {"status": "paused", "reason": "出差"}, "member_id"),
    ("list_members", {"team_id": "@team", "status": "gone"}, "status"),
    ("list_members", {"team_id": "@team", "offset": -1}, "offset"),
    ("open_task", without(TASK, "kind"), "kind"),
    ("open_task", {**TASK, "kind": "case"}, "kind"),
    ("open_task", {**TASK, "ends_at": START}, "ends_at"),
    ("open_task", {**TASK, "starts_at": "2026-03-04T09:00:00"}, "starts_at"),
    ("open_task", {**TASK, "headcount": 0}, "headcount"),
    ("open_task", {**TASK, "headcount": "3"}, "headcount"),
    ("open_task", {**TASK, "kind": "wish"}, "wish"),
    ("open_task", {**TASK, "kind": "wish", "wish": {"resident_name": "王奶奶", "wish": "一台收音机",
                                                    "phone": "0731"}}, "wish.phone"),
    ("get_task", {"task_id": 42}, "task_id"),
    ("list_tasks", {"state": "done"}, "state"),
    ("list_tasks", {"mine": "sometimes"}, "mine"),
    ("claim_task", {"task_id": "@task", "override_reason": ""}, "override_reason"),
    ("claim_task", {"task_id": "@task", "person_id": ""}, "person_id"),
    ("confirm_claim", {}, "task_id"),
    ("confirm_claim", {"task_id": "@task", "colour": "red"}, "colour"),
    ("withdraw_claim", {"task_id": "@task", "reason": "因" * 2001}, "reason"),
    ("start_task", {"task_id": "@task", "note": 42}, "note"),
    ("finish_task", {"task_id": "@task", "outcome": "done", "result": "巡完"}, "outcome"),
    ("finish_task", {"task_id": "@task", "result": "巡完"}, "outcome"),
    ("cancel_task", {"task_id": "@task"}, "reason"),
    ("cancel_task", {"task_id": "@task", "reason": ""}, "reason"),
    ("record_consultation", {"task_id": "@task", "question": "漏水谁赔？"}, "advice"),
    ("record_consultation", {"task_id": "@task", "question": "", "advice": "楼上赔"}, "question"),
    ("log_hours", {"task_id": "@task"}, "actual_minutes"),
    ("log_hours", {"task_id": "@task", "actual_minutes": 0}, "actual_minutes"),
    ("log_hours", {"task_id": "@task", "actual_minutes": 1441}, "actual_minutes"),
    ("log_hours", {"task_id": "@task", "actual_minutes": "60"}, "actual_minutes"),
    ("log_hours", {"task_id": "@task", "actual_minutes": 60, "scheduled_minutes": -1}, "scheduled_minutes"),
    ("verify_hours", {"hours_id": "@hours"}, "approved"),
    ("verify_hours", {"hours_id": "@hours", "approved": "yes please"}, "approved"),
    ("hours_report", without(PERIOD, "team_id"), "team_id"),
    ("hours_report", {**PERIOD, "date_to": "2026-02-28"}, "date_to"),
    ("hours_report", {**PERIOD, "date_from": "2010-01-01"}, "date_to"),
    ("hours_report", {**PERIOD, "date_from": "2026-13-01"}, "date_from"),
    ("hours_export", without(PERIOD, "date_from"), "date_from"),
    ("hours_export", {**PERIOD, "format": "pdf"}, "format"),
    ("labels", {"language": "en"}, "language"),
    ("journal_state", {"verbose": True}, "verbose"),
    ("parked_events", {"handler": ""}, "handler"),
    ("replay_parked", {"event_id": ""}, "event_id"),
    ("replay_parked", {"event_id": "evt_1", "handler": 42}, "handler"),
    ("consumer_counts", {"handler": 42}, "handler"),
]


@pytest.fixture
def ids(service_as, team, clock) -> dict[str, str]:
    """A member, a task they claimed and started, and their hours."""
    member = join(service_as, team, 0)
    task = open_task(service_as, team, clock)
    as_member = service_as(volunteer(member["person_id"]))
    as_member.claim_task(task_id=task["task_id"])
    as_member.start_task(task_id=task["task_id"])
    hours = as_member.log_hours(task_id=task["task_id"], actual_minutes=100)
    return {"@team": team["team_id"], "@member": member["member_id"], "@task": task["task_id"],
            "@hours": hours["hours_id"]}


def test_the_table_covers_every_volunteers_rpc():
    assert {rpc for rpc, *_ in ROWS} == rpc_names(VolunteersService)


@pytest.mark.parametrize(("rpc", "arguments", "field"), ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written_or_published(service_as, ids, db, broker,
                                                                                    rpc, arguments, field):
    filled = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()}
    before, published = kept(db), len(broker.published)

    with pytest.raises(ValidationFailed) as raised:
        getattr(service_as(OPS), rpc)(**filled)

    assert field in raised.value.fields, raised.value.to_dict()
    assert kept(db) == before and len(broker.published) == published

"""Every volunteers RPC refuses bad input over the broker with a `ValidationFailed` naming the
field, and leaves every document of the volunteers database as it was.

One input the schema refuses per RPC, and the rules that need the database or rosters: a place
or a phone rosters does not know, an office acting for a member without naming them, a person
who is not a member, a finished task without its result, a pause without its reason. Every
input the schemas refuse is in `tests/service/volunteers/test_bad_input.py`, which needs neither."""

import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place, load_demo
from services.rosters.service import RostersService
from services.volunteers.service import VolunteersService
from shared.errors import LinliError, ValidationFailed
from shared.ids import new_id
from shared.mongo import mongo_client
from tests.conftest import actor_context, rpc_names, service_config
from tests.integration.snapshots import settled_digest
from tests.integration.volunteers.conftest import COMMUNITY, member_phone, task_window

UNKNOWN_PHONE = "13900009999"
PERIOD = {"team_id": "@team", "date_from": "2026-03-01", "date_to": "2026-03-31"}


def patrol(**changes) -> dict:
    return {"team_id": "@team", "kind": "patrol", "title": "2栋消防通道巡查", **task_window(), **changes}


def without(arguments: dict, field: str) -> dict:
    return {k: v for k, v in arguments.items() if k != field}


# rpc, arguments ("@…": an id of the data made once for the module), the field named
ROWS = [
    ("create_team", {"name": "嘉园调解队"}, "node_id"),
    ("create_team", {"node_id": "unit_nowhere", "name": "嘉园调解队"}, "node_id"),
    ("create_team", {"node_id": "@community", "name": "嘉园调解队", "leader_phone": UNKNOWN_PHONE}, "leader_phone"),
    ("get_team", {}, "team_id"),
    ("list_teams", {"limit": 0}, "limit"),
    ("apply_member", {"team_id": "@team", "phone": "1380731"}, "phone"),
    ("apply_member", {"team_id": "@team", "phone": UNKNOWN_PHONE}, "phone"),
    ("screen_member", {"member_id": "@applicant"}, "passed"),
    ("set_member_status", {"member_id": "@member", "status": "retired", "reason": "年纪大了"}, "status"),
    ("set_member_status", {"member_id": "@member", "status": "paused"}, "reason"),
    ("list_members", {"team_id": "@team", "status": "gone"}, "status"),
    ("open_task", patrol(ends_at="2026-03-04T09:00:00+08:00", starts_at="2026-03-04T11:00:00+08:00"), "ends_at"),
    ("open_task", patrol(unit_id="unit_nowhere"), "unit_id"),
    ("get_task", {"task_id": 42}, "task_id"),
    ("list_tasks", {"state": "done"}, "state"),
    ("claim_task", {"task_id": "@open_task", "override_reason": ""}, "override_reason"),
    ("claim_task", {"task_id": "@open_task"}, "person_id"),
    ("claim_task", {"task_id": "@open_task", "person_id": "@applicant_person"}, "person_id"),
    ("confirm_claim", {}, "task_id"),
    ("confirm_claim", {"task_id": "@task"}, "person_id"),
    ("withdraw_claim", {"task_id": "@task", "reason": "因" * 2001}, "reason"),
    ("start_task", {"task_id": "@open_task", "note": 42}, "note"),
    ("finish_task", {"task_id": "@task", "outcome": "done", "result": "巡完"}, "outcome"),
    ("finish_task", {"task_id": "@task", "outcome": "completed"}, "result"),
    ("finish_task", {"task_id": "@task", "outcome": "could_not_complete"}, "reason"),
    ("cancel_task", {"task_id": "@task", "reason": ""}, "reason"),
    ("record_consultation", {"task_id": "@task", "question": "漏水谁赔？"}, "advice"),
    ("log_hours", {"task_id": "@task", "actual_minutes": 1441}, "actual_minutes"),
    ("log_hours", {"task_id": "@task", "actual_minutes": 60}, "person_id"),
    ("log_hours", {"task_id": "@task", "actual_minutes": 60, "person_id": "@applicant_person"}, "person_id"),
    ("verify_hours", {"hours_id": "@hours", "approved": "yes please"}, "approved"),
    ("hours_report", without(PERIOD, "team_id"), "team_id"),
    ("hours_report", {**PERIOD, "date_to": "2026-02-28"}, "date_to"),
    ("hours_export", without(PERIOD, "date_from"), "date_from"),
    ("labels", {"language": "en"}, "language"),
    ("journal_state", {"verbose": True}, "verbose"),
    ("parked_events", {"handler": ""}, "handler"),
    ("replay_parked", {}, "event_id"),
    ("replay_parked", {"event_id": "evt_1", "handler": 42}, "handler"),
    ("consumer_counts", {"handler": 42}, "handler"),
]


@pytest.fixture(scope="module")
def running(stack):
    """One rosters and one volunteers service with the demo street, a team with an active member
    and an applicant, a task open and one the member claimed and started with hours logged: a
    bad call changes nothing, so the rows can share them."""
    name = new_id("test").replace("_", "")
    containers = [ServiceContainer(RostersService, service_config(stack, ROSTERS_DB=name)),
                  ServiceContainer(VolunteersService, service_config(stack, VOLUNTEERS_DB=f"{name}vol",
                                                                     REMINDER_SCAN_SECONDS=3600))]
    for container in containers:
        container.start()
    client = mongo_client(stack.mongo_uri)
    with ClusterRpcProxy(service_config(stack), context_data=actor_context(), timeout=20) as rpc:
        ids = made(rpc, load_demo(rpc.rosters))
        journal = next(d for d in containers[1].dependencies if d.attr_name == "store").store.journal
        yield rpc.volunteers, ids, client[f"{name}vol"], journal
    for container in containers:
        container.stop()
    client.drop_database(name)
    client.drop_database(f"{name}vol")
    client.close()


def made(rpc, places: dict) -> dict[str, str]:
    """The data the rows name, through the RPCs."""
    community = find_place(places, COMMUNITY)
    team = rpc.volunteers.create_team(node_id=community, name="嘉园法律服务队", kind="legal", skills=["法律咨询"])
    for n in range(2):
        rpc.rosters.register_person(name=f"志愿者{n}", phone=member_phone(n))
    member = rpc.volunteers.apply_member(team_id=team["team_id"], phone=member_phone(0))
    member = rpc.volunteers.screen_member(member_id=member["member_id"], passed=True)
    applicant = rpc.volunteers.apply_member(team_id=team["team_id"], phone=member_phone(1))
    task, open_task = (rpc.volunteers.open_task(**resolve(patrol(), {"@team": team["team_id"]})) for _ in range(2))
    rpc.volunteers.claim_task(task_id=task["task_id"], person_id=member["person_id"])
    rpc.volunteers.start_task(task_id=task["task_id"])
    hours = rpc.volunteers.log_hours(task_id=task["task_id"], person_id=member["person_id"], actual_minutes=100)
    return {"@community": community, "@team": team["team_id"], "@member": member["member_id"],
            "@applicant": applicant["member_id"], "@applicant_person": applicant["person_id"],
            "@task": task["task_id"], "@open_task": open_task["task_id"], "@hours": hours["hours_id"]}


def resolve(arguments: dict, ids: dict[str, str]) -> dict:
    return {k: ids.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()}


def test_the_table_covers_every_volunteers_rpc():
    assert {rpc for rpc, *_ in ROWS} == rpc_names(VolunteersService)


@pytest.mark.parametrize(("rpc", "arguments", "field"), ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_bad_input_gets_a_validation_error_naming_the_field_and_changes_nothing(running, rpc, arguments, field):
    volunteers, ids, volunteers_db, journal = running
    before = settled_digest(volunteers_db, journal)

    with pytest.raises(LinliError) as raised:
        getattr(volunteers, rpc)(**resolve(arguments, ids))

    assert isinstance(raised.value, ValidationFailed), raised.value.to_dict()
    assert field in [d["field"] for d in raised.value.details], raised.value.to_dict()
    assert settled_digest(volunteers_db, journal) == before, f"{rpc} changed the volunteers database"

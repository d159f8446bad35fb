"""A case dispatched to a support team opens one task for it, and the task's steps owe the case
its steps (accept, progress, resolve, return), sent through cases as the team in order, each
with a request id derived from the task; what cases refuses for good is recorded, what fails
for a while is tried again with backoff and parked after the last try."""

from datetime import timedelta

import pytest

from services.volunteers import casework, tasks_desk
from services.volunteers.exceptions import NoSuchTeamForDispatch
from shared.actor import Actor
from shared.errors import InvalidTransition
from shared.events import envelope
from tests.service.volunteers.conftest import JIAYUAN, SETTINGS, named, volunteer

CASE = "case_jc2_leak"
CASES_ACTOR = {"who": "cases", "role": "system", "jurisdiction": []}


def dispatched(team_id: str | None, kind: str = "support_team", name: str = "嘉园法律服务队") -> dict:
    """The `case_dispatched` event cases publishes when it dispatches the leak case."""
    assignee = {"kind": kind, "name": name, **({"party_id": team_id} if team_id else {})}
    return envelope("case_dispatched", {"case_id": CASE, "state": "dispatched", "lineage": [*JIAYUAN, "unit_jc2"],
                                        "detail": {"assignee": assignee}}, CASES_ACTOR)


@pytest.fixture
def leak(cases, clock) -> dict:
    """The case as cases' `get_case` answers it: a neighbour dispute over a leak."""
    cases.docs[CASE] = {"case_id": CASE, "category": "neighbour_dispute", "category_label": "邻里纠纷",
                        "description": "楼上卫生间漏水到楼下吊顶，双方协商不成", "urgency": "normal",
                        "unit_id": "unit_jc2",
                        "deadlines": {"resolution": (clock() + timedelta(days=5)).isoformat()}}
    return cases.docs[CASE]


@pytest.fixture
def case_task(service_as, team, members, leak) -> dict:
    """The task the dispatch of the leak case opened."""
    opened = service_as().on_case_dispatched(dispatched(team["team_id"]))
    return service_as().get_task(task_id=opened["task_id"])


def test_a_case_dispatched_to_a_support_team_opens_one_task_however_often_the_event_comes(service_as, team, leak,
                                                                                          db, broker, clock):
    event = dispatched(team["team_id"])

    first = service_as().on_case_dispatched(event)
    second = service_as().on_case_dispatched(event)

    assert first == {"task_id": first["task_id"], "opened": True}
    assert second == {"task_id": first["task_id"], "opened": False}
    task = db["tasks"].docs[first["task_id"]]
    assert len(db["tasks"].docs) == 1 and task["case_id"] == CASE and task["kind"] == "case"
    assert task["required_skills"] == ["法律咨询"] and task["ends_at"] == clock() + timedelta(days=5)
    assert [e["type"] for e in broker.published] == ["task_opened"]


def test_a_dispatch_by_name_finds_the_team_of_that_name_in_the_case_lineage(service_as, team, leak):
    opened = service_as().on_case_dispatched(dispatched(None))

    assert service_as().get_task(task_id=opened["task_id"])["team_id"] == team["team_id"]


def test_a_case_dispatched_to_someone_else_is_skipped(service_as, team, leak, db, cases):
    outcome = service_as().on_case_dispatched(dispatched(None, kind="community", name="嘉园社区"))

    assert outcome == {"skipped": "not dispatched to a support team"}
    assert not db["tasks"].docs and cases.calls == []


def test_a_case_dispatched_to_an_unknown_team_is_refused_naming_the_assignee(service_as, team, leak, db):
    with pytest.raises(NoSuchTeamForDispatch) as refused:
        service_as().on_case_dispatched(dispatched("team_nowhere"))

    assert named(refused.value) == ["assignee"] and not db["tasks"].docs


def test_the_team_owes_the_case_accept_progress_a_note_and_resolve_in_order(service_as, case_task, cases, team):
    claimant = service_as(volunteer("person_0"))
    task_id = case_task["task_id"]

    claimant.claim_task(task_id=task_id)
    claimant.start_task(task_id=task_id)
    claimant.record_consultation(task_id=task_id, question="漏水损失谁来赔？", advice="依民法典第1165条，由楼上承担")
    done = claimant.finish_task(task_id=task_id, outcome="completed", result="双方达成调解协议，楼上赔偿800元")

    steps = cases.steps()
    assert [method for method, _ in steps] == ["accept", "progress", "progress", "resolve"]
    assert [arguments["request_id"] for _, arguments in steps] == [f"{task_id}:{n}" for n in range(4)]
    assert all(arguments["case_id"] == CASE for _, arguments in steps)
    assert {sent_as for sent_as, _, _ in cases.calls} == {team["team_id"]}
    assert "漏水损失谁来赔" in steps[2][1]["note"]
    assert steps[3][1]["result"] == "双方达成调解协议，楼上赔偿800元"
    assert done["case_pending"] is False and all(a["done_at"] for a in done["case_actions"])


def test_a_task_that_could_not_be_completed_returns_the_case(service_as, case_task, cases):
    claimant = service_as(volunteer("person_0"))
    claimant.claim_task(task_id=case_task["task_id"])
    claimant.start_task(task_id=case_task["task_id"])

    claimant.finish_task(task_id=case_task["task_id"], outcome="could_not_complete", reason="楼上拒不配合")

    method, arguments = cases.steps()[-1]
    assert method == "return_case" and "楼上拒不配合" in arguments["reason"]


def test_a_step_cases_refuses_for_good_is_recorded_refused_and_the_next_is_sent(service_as, case_task, cases,
                                                                                store, clock):
    claimant = service_as(volunteer("person_0"))
    cases.down = True
    claimant.claim_task(task_id=case_task["task_id"])
    claimant.start_task(task_id=case_task["task_id"])
    cases.down = False
    cases.fail("accept", InvalidTransition("case is resolved", [{"field": "state", "reason": "is resolved"}]))
    clock.move(minutes=1)

    pushed = casework.push(store, store.tasks.get(case_task["task_id"]), cases.as_team({"_id": "t"}), SETTINGS,
                           clock())

    actions = store.tasks.get(case_task["task_id"])["case_actions"]
    assert pushed["case_actions"] == actions and pushed["case_pending"] is False
    assert store.owed_cases.coll.find_one({"_id": case_task["task_id"]}) is None  # nothing owed: no watch
    assert "case is resolved" in actions[0]["refused"] and actions[0]["done_at"] == clock()
    assert "refused" not in actions[1] and actions[1]["done_at"] == clock()
    assert [method for method, _ in cases.steps()[-2:]] == ["accept", "progress"]


def test_while_cases_is_down_a_step_waits_with_backoff_and_a_later_push_sends_it_once(service_as, case_task, cases,
                                                                                     store, clock):
    cases.down = True
    service_as(volunteer("person_0")).claim_task(task_id=case_task["task_id"])
    waiting = store.tasks.get(case_task["task_id"])
    cases.down = False

    service_as().sync_cases()  # too early: the step waits for its next try
    clock.move(seconds=3)
    service_as().sync_cases()
    service_as().sync_cases()

    after = store.tasks.get(case_task["task_id"])
    assert waiting["case_pending"] is True
    assert waiting["case_actions"][0]["attempts"] == 1
    assert waiting["case_actions"][0]["next_try_at"] == clock() - timedelta(seconds=3) + casework.retry_wait(1)
    assert [method for method, _ in cases.steps()] == ["accept", "accept"]  # the failed try, the one that went
    assert after["case_pending"] is False and after["case_actions"][0]["done_at"] == clock()
    assert store.owed_cases.coll.find_one({"_id": case_task["task_id"]}) is None


def test_a_step_cases_never_takes_is_parked_after_the_last_try(service_as, case_task, cases, store, clock):
    cases.down = True
    service_as(volunteer("person_0")).claim_task(task_id=case_task["task_id"])
    for _ in range(SETTINGS.case_sync_max_attempts + 2):
        clock.move(minutes=15)
        service_as().sync_cases()

    action = store.tasks.get(case_task["task_id"])["case_actions"][0]
    assert action["attempts"] == SETTINGS.case_sync_max_attempts and action["parked_at"]
    assert "done_at" not in action and store.tasks.get(case_task["task_id"])["case_pending"] is False
    assert len(cases.steps()) == SETTINGS.case_sync_max_attempts


def test_the_desk_opens_a_case_task_once_for_one_task_id(store, team, leak, clock):
    system = Actor("volunteers", "system").as_dict()
    team_doc = store.teams.get(team["team_id"])

    first = tasks_desk.open_case_task(store, team_doc, leak, "task_of_the_event", SETTINGS, system, clock())
    again = tasks_desk.open_case_task(store, team_doc, leak, "task_of_the_event", SETTINGS, system, clock())

    assert first["_id"] == again["_id"] == "task_of_the_event" and again["version"] == 1
    assert first["title"].startswith("邻里纠纷：") and first["headcount"] == SETTINGS.case_task_headcount

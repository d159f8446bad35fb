"""A case dispatched to a support team opens one task in volunteers, through the real broker and
database: the same `case_dispatched` delivered twice opens it once, and a case taken through
cases' own steps opens a task with the case's description whose first claim accepts the case
in cases as the team."""

import time

from nameko.testing.services import entrypoint_waiter

from services.cases.intake import event_payload
from shared.events import envelope
from shared.mongo import EventPublisher
from shared.stack.ports import wait_until
from tests.events import after_runs
from tests.integration.cases.conftest import drain_report
from tests.integration.volunteers.conftest import UNIT

HANDLER = "on_case_dispatched"


def to_team(team: dict) -> dict:
    """The assignee a dispatch to the team names: the team's name and, as the party, its id."""
    return {"kind": "support_team", "name": team["name"], "party_id": team["team_id"]}




def dispatched_envelope(cases_db, case_id: str, team: dict) -> dict:
    """`case_dispatched` as cases writes it for a dispatch of the case to the team."""
    case = cases_db["cases"].find_one({"_id": case_id})
    payload = event_payload({**case, "state": "dispatched"}, case["state"], {"assignee": to_team(team)})
    return envelope("case_dispatched", payload, {"who": "曾玉琴", "role": "secretary"})


def test_the_same_dispatch_delivered_twice_opens_one_task(volunteers_service, volunteers, cases, cases_db, place,
                                                          team, stack):
    case = cases.triage(case_id=cases.escalate(case_id=cases.report(**drain_report(place(UNIT)))["case_id"])["case_id"])
    event = dispatched_envelope(cases_db, case["case_id"], team)
    publisher = EventPublisher(stack.amqp_uri, "cases", {})

    with entrypoint_waiter(volunteers_service, HANDLER, callback=after_runs(2), timeout=30):
        publisher(event)
        publisher(event)
    publisher.close()

    listed = volunteers.list_tasks(case_id=case["case_id"])
    assert listed["total"] == 1, listed
    task = volunteers.get_task(task_id=listed["tasks"][0]["task_id"])
    assert (task["kind"], task["team_id"], task["description"], task["state"]) == (
        "case", team["team_id"], case["description"], "open")
    assert volunteers.consumer_counts(handler=HANDLER) == {"handled": 1, "parked": 0, "in_retry": 0, "running": 0}
    assert [e["action"] for e in task["history"]] == ["open"]


def test_a_case_dispatched_to_the_team_is_accepted_in_cases_when_a_member_claims_its_task(
        volunteers_service, volunteers, cases, place, team, enlist, rpc_as):
    [member] = enlist(team, 1)
    case = cases.report(**drain_report(place(UNIT), description="3栋独居老人家中水管爆裂，需要上门帮忙"))
    cases.escalate(case_id=case["case_id"], note="老人行动不便")
    cases.triage(case_id=case["case_id"])
    dispatched_at = time.monotonic()
    cases.dispatch(case_id=case["case_id"], assignee=to_team(team))

    wait_until(lambda: volunteers.list_tasks(case_id=case["case_id"])["total"] == 1, 15, "the case's task")
    opened_in = time.monotonic() - dispatched_at
    [listed] = volunteers.list_tasks(case_id=case["case_id"])["tasks"]
    task = volunteers.get_task(task_id=listed["task_id"])
    assert (task["kind"], task["state"], task["description"], task["case_id"]) == (
        "case", "open", case["description"], case["case_id"])

    claimed_at = time.monotonic()
    claimed = rpc_as(member["person_id"], "volunteer").volunteers.claim_task(task_id=task["task_id"])
    assert [c["person_id"] for c in claimed["claimants"]] == [member["person_id"]]
    wait_until(lambda: cases.get_case(case_id=case["case_id"])["state"] == "accepted", 10, "the case accepted")
    accepted_in = time.monotonic() - claimed_at

    after = cases.get_case(case_id=case["case_id"])
    assert (after["handler"]["who"], after["handler"]["role"]) == (team["team_id"], "support_team")
    accepted = after["timeline"][-1]
    assert (accepted["action"], accepted["actor"]["who"]) == ("accept", team["team_id"]), accepted
    assert volunteers.list_tasks(case_id=case["case_id"])["total"] == 1
    owed = volunteers.get_task(task_id=task["task_id"])
    assert [a["action"] for a in owed["case_actions"]] == ["accept"] and owed["case_actions"][0]["done_at"]
    assert owed["case_pending"] is False
    print(f"\n[dispatch] task opened {opened_in:.2f}s after the dispatch; case accepted {accepted_in:.2f}s "
          f"after the claim")

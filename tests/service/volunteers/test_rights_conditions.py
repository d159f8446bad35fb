"""The conditions the rights table puts on the team, task or record: a team's account acts on
its own team only (`own_team`), a volunteer on a team they are an active member of (`member`),
for themselves only (`self`), and on a task they hold a claim on (`claimant`)."""

import pytest

from shared.actor import Actor
from shared.errors import Forbidden
from tests.service.volunteers.conftest import LIANFU, SECRETARY, join, named, open_task, team_account, volunteer


@pytest.fixture
def other_team(service_as) -> dict:
    """联福社区's patrol team."""
    return service_as(Actor("何书记", "secretary", LIANFU)).create_team(node_id="unit_lianfu", name="联福巡逻队",
                                                                        kind="squad")


def test_a_teams_account_opens_tasks_of_its_own_team_only(service_as, team, other_team, clock):
    own = open_task(service_as, team, clock, actor=team_account(team))

    with pytest.raises(Forbidden) as refused:
        open_task(service_as, team, clock, actor=team_account(other_team))

    assert own["team_id"] == team["team_id"] and own["opened_by"]["role"] == "support_team"
    assert named(refused.value) == ["role"]


def test_a_volunteer_sees_the_tasks_of_a_team_they_are_an_active_member_of_only(service_as, team, clock):
    join(service_as, team, 0)
    join(service_as, team, 1, passed=False)
    task = open_task(service_as, team, clock)

    seen = service_as(volunteer("person_0")).get_task(task_id=task["task_id"])
    with pytest.raises(Forbidden) as rejected:
        service_as(volunteer("person_1")).get_task(task_id=task["task_id"])
    with pytest.raises(Forbidden) as stranger:
        service_as(volunteer("person_6")).get_task(task_id=task["task_id"])

    assert seen["task_id"] == task["task_id"]
    assert named(rejected.value) == ["role"] and named(stranger.value) == ["role"]


def test_a_volunteer_confirms_and_withdraws_only_their_own_claim(service_as, team, members, clock):
    task = open_task(service_as, team, clock, headcount=2)
    for n in (0, 1):
        service_as(volunteer(f"person_{n}")).claim_task(task_id=task["task_id"])

    with pytest.raises(Forbidden) as confirm:
        service_as(volunteer("person_1")).confirm_claim(task_id=task["task_id"], person_id="person_0")
    with pytest.raises(Forbidden) as withdraw:
        service_as(volunteer("person_1")).withdraw_claim(task_id=task["task_id"], person_id="person_0")

    assert named(confirm.value) == ["person_id"] and named(withdraw.value) == ["person_id"]
    kept = service_as(SECRETARY).get_task(task_id=task["task_id"])
    assert [(c["person_id"], c["confirmed_at"]) for c in kept["claimants"]] == [("person_0", None),
                                                                               ("person_1", None)]


def test_only_a_claimant_starts_finishes_or_records_a_consultation(service_as, team, members, clock):
    task = open_task(service_as, team, clock)
    service_as(volunteer("person_0")).claim_task(task_id=task["task_id"])
    bystander = service_as(volunteer("person_1"))

    refusals = []
    for call in (lambda: bystander.start_task(task_id=task["task_id"]),
                 lambda: bystander.finish_task(task_id=task["task_id"], outcome="completed", result="巡完"),
                 lambda: bystander.record_consultation(task_id=task["task_id"], question="问", advice="答")):
        with pytest.raises(Forbidden) as refused:
            call()
        refusals.append(named(refused.value))

    assert refusals == [["role"]] * 3
    assert service_as(SECRETARY).get_task(task_id=task["task_id"])["state"] == "claimed"


def test_a_volunteer_logs_hours_for_themselves_only(service_as, team, members, clock):
    task = open_task(service_as, team, clock, headcount=2)
    for n in (0, 1):
        service_as(volunteer(f"person_{n}")).claim_task(task_id=task["task_id"])
    service_as(volunteer("person_0")).start_task(task_id=task["task_id"])

    with pytest.raises(Forbidden) as refused:
        service_as(volunteer("person_0")).log_hours(task_id=task["task_id"], person_id="person_1", actual_minutes=600)

    assert named(refused.value) == ["person_id"]


def test_a_wishers_phone_is_shown_to_the_claimant_and_the_office_and_each_such_read_recorded(
        service_as, team, members, clock, store):
    wish = {"resident_name": "王奶奶", "phone": "13807310001", "wish": "修好家里的收音机"}
    task = open_task(service_as, team, clock, kind="wish", wish=wish)
    service_as(volunteer("person_0")).claim_task(task_id=task["task_id"])
    reads_before = store.pii_reads.coll.count_documents({})

    seen = {who: service_as(actor).get_task(task_id=task["task_id"])["wish"]["phone"]
            for who, actor in [("claimant", volunteer("person_0")), ("member", volunteer("person_1")),
                               ("team", team_account(team)), ("secretary", SECRETARY),
                               ("leader", Actor("康早新", "unit_leader", tuple(team["lineage"])))]}

    assert seen == {"claimant": "13807310001", "member": "138****0001", "team": "13807310001",
                    "secretary": "13807310001", "leader": "138****0001"}
    assert store.pii_reads.coll.count_documents({}) - reads_before == 3

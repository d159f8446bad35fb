"""A member's way through a team: applied, screened into active or rejected, paused and left
with a reason, and applying again after leaving; what each caller sees of a member's phone."""

import pytest

from shared.errors import Forbidden, ValidationFailed
from tests.service.volunteers.conftest import LEADER, SECRETARY, join, named, phone_of, volunteer

MASKED = "138****0000"


def test_an_applicant_screened_and_passed_is_active_and_the_screening_is_kept(service_as, team):
    applied = service_as(SECRETARY).apply_member(team_id=team["team_id"], phone=phone_of(0))

    active = service_as(SECRETARY).screen_member(member_id=applied["member_id"], passed=True, note="执业证已核")

    assert applied["status"] == "applied"
    assert active["status"] == "active" and active["status_label"] == "在册"
    assert active["screening"]["passed"] is True and active["screening"]["by"]["who"] == "曾玉琴"
    assert [e["action"] for e in active["history"]] == ["apply", "screen"]


def test_an_applicant_who_fails_the_screening_is_rejected(service_as, team):
    rejected = join(service_as, team, 3, passed=False)

    assert rejected["status"] == "rejected" and rejected["screening"]["passed"] is False


@pytest.mark.parametrize("status", ["paused", "left"])
def test_pausing_or_leaving_needs_a_reason(service_as, team, status):
    member = join(service_as, team, 0)

    with pytest.raises(ValidationFailed) as refused:
        service_as(SECRETARY).set_member_status(member_id=member["member_id"], status=status)

    assert named(refused.value) == ["reason"]
    assert service_as(SECRETARY).list_members(team_id=team["team_id"])["members"][0]["status"] == "active"


def test_a_volunteer_pauses_and_leaves_by_themselves_but_may_not_make_themselves_active_again(service_as, team):
    member = join(service_as, team, 0)
    themselves = service_as(volunteer(member["person_id"]))

    paused = themselves.set_member_status(member_id=member["member_id"], status="paused", reason="出差一个月")
    with pytest.raises(Forbidden) as refused:
        themselves.set_member_status(member_id=member["member_id"], status="active")
    left = themselves.set_member_status(member_id=member["member_id"], status="left", reason="搬家")

    assert paused["status"] == "paused" and paused["paused_reason"] == "出差一个月"
    assert named(refused.value) == ["status"]
    assert left["status"] == "left" and left["left_reason"] == "搬家"


def test_a_volunteer_may_not_change_another_members_status(service_as, team):
    member, other = join(service_as, team, 0), join(service_as, team, 1)

    with pytest.raises(Forbidden) as refused:
        service_as(volunteer(other["person_id"])).set_member_status(member_id=member["member_id"], status="paused",
                                                                    reason="不想让他去")

    assert named(refused.value) == ["person_id"]


def test_applying_again_after_leaving_starts_again_and_keeps_the_history(service_as, team):
    member = join(service_as, team, 0)
    service_as(SECRETARY).set_member_status(member_id=member["member_id"], status="left", reason="搬家")

    again = service_as(SECRETARY).apply_member(team_id=team["team_id"], phone=phone_of(0), note="搬回来了")

    assert again["member_id"] == member["member_id"]
    assert again["status"] == "applied" and again["left_reason"] is None
    assert [e["action"] for e in again["history"]] == ["apply", "screen", "left", "apply"]


def test_applying_again_while_active_changes_nothing(service_as, team):
    member = join(service_as, team, 0)

    again = service_as(SECRETARY).apply_member(team_id=team["team_id"], phone=phone_of(0))

    assert again["status"] == "active" and len(again["history"]) == len(member["history"])


def test_a_volunteer_and_a_leader_see_the_phone_masked_and_no_read_is_recorded(service_as, team, db):
    member = join(service_as, team, 0)
    reads_before = len(db["pii_reads"].docs)

    by_leader = service_as(LEADER).list_members(team_id=team["team_id"])["members"][0]
    by_volunteer = service_as(volunteer(member["person_id"])).set_member_status(
        member_id=member["member_id"], status="paused", reason="生病")

    assert by_leader["phone"] == MASKED and by_volunteer["phone"] == MASKED
    assert len(db["pii_reads"].docs) == reads_before


def test_a_secretary_sees_the_phone_and_the_read_is_recorded(service_as, team, db):
    join(service_as, team, 0)
    reads_before = len(db["pii_reads"].docs)

    listed = service_as(SECRETARY).list_members(team_id=team["team_id"])["members"]

    assert listed[0]["phone"] == phone_of(0)
    reads = sorted(db["pii_reads"].docs.values(), key=lambda r: r["at"])[reads_before:]
    assert [(r["actor"]["who"], r["rpc"], r["subjects"]) for r in reads] == [("曾玉琴", "list_members", ["person_0"])]

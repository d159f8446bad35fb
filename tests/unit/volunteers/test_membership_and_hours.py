"""Members' statuses and service hours as pure functions."""

from datetime import UTC, date, datetime

import pytest

from services.volunteers import hours, membership
from services.volunteers.exceptions import HoursVerified
from shared.errors import InvalidTransition, ValidationFailed

NOW = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
OFFICE = {"who": "曾玉琴", "role": "secretary"}


def test_screening_makes_an_applicant_active_or_rejected_and_keeps_who_and_when():
    applicant = {"_id": "mbr_1", "status": "applied"}

    assert membership.screening(applicant, True, "执业证已核验", OFFICE, NOW) == {
        "status": "active", "screening": {"passed": True, "note": "执业证已核验", "by": OFFICE, "at": NOW}}
    assert membership.screening(applicant, False, None, OFFICE, NOW)["status"] == "rejected"
    with pytest.raises(InvalidTransition):
        membership.screening({"_id": "mbr_1", "status": "active"}, True, None, OFFICE, NOW)


@pytest.mark.parametrize(("current", "wanted", "reason", "fields"), [
    ("active", "paused", "外出学习三个月", {"status": "paused", "paused_reason": "外出学习三个月"}),
    ("paused", "active", None, {"status": "active"}),
    ("paused", "left", "搬离本社区", {"status": "left", "left_reason": "搬离本社区"}),
    ("active", "active", None, {}),
])
def test_the_moves_a_member_may_make(current, wanted, reason, fields):
    assert membership.moved({"_id": "mbr_1", "status": current}, wanted, reason) == fields


def test_pausing_or_leaving_says_why_and_nobody_comes_back_from_leaving():
    with pytest.raises(ValidationFailed) as missing:
        membership.moved({"_id": "mbr_1", "status": "active"}, "left", None)
    assert missing.value.details[0]["field"] == "reason"
    with pytest.raises(InvalidTransition) as final:
        membership.moved({"_id": "mbr_1", "status": "left"}, "active", None)
    assert final.value.details[0]["current_state"] == "left"


def test_required_skills_are_compared_without_case_or_spaces():
    assert membership.lacking(["法律咨询", "First Aid"], [" first aid ", "法律咨询"]) == []
    assert membership.lacking(["法律咨询", "调解"], ["法律咨询"]) == ["调解"]


def record(person: str, actual: int, approved: bool | None) -> dict:
    verification = None if approved is None else {"approved": approved}
    return {"person_id": person, "name": person, "scheduled_minutes": 120, "actual_minutes": actual,
            "verification": verification}


def test_the_report_sums_per_member_and_counts_only_approved_minutes_as_verified():
    report = hours.report([record("罗雅婷", 150, True), record("罗雅婷", 60, None), record("彭子墨", 90, False)],
                          date(2026, 3, 1), date(2026, 3, 31))

    assert report["total"] == {"tasks": 3, "scheduled_minutes": 360, "actual_minutes": 300, "verified_minutes": 150,
                               "unverified": 1}
    assert [(m["name"], m["actual_minutes"], m["verified_minutes"]) for m in report["members"]] == [
        ("罗雅婷", 210, 150), ("彭子墨", 90, 0)]


def test_verified_hours_are_not_changed_nor_verified_twice():
    verified = {"_id": "hrs_1", "person_id": "p1", "verification": {"approved": True}}

    with pytest.raises(HoursVerified):
        hours.logged(verified, {}, {}, {"actual_minutes": 30}, 0, OFFICE, NOW, date(2026, 3, 7))
    with pytest.raises(HoursVerified):
        hours.verified(verified, True, None, OFFICE, NOW)


def test_a_member_does_not_verify_hours_they_logged_themselves():
    mine = {"_id": "hrs_1", "person_id": "p1", "recorded_by": {"who": "p1"}, "verification": None}

    with pytest.raises(ValidationFailed):
        hours.verified(mine, True, None, {"who": "p1", "role": "volunteer"}, NOW)

"""Service hours: logged by a claimant once the task has started (scheduled from the task's
window beside the actual minutes), corrected until the organiser verifies them, reported per
team and period with totals, and exported as a workbook; a volunteer sees only their own."""

import base64
import io

import pytest
from openpyxl import load_workbook

from services.volunteers.exceptions import HoursVerified
from shared.errors import Forbidden, InvalidTransition
from tests.service.volunteers.conftest import SECRETARY, named, open_task, volunteer

DAY = "2026-03-04"  # the patrol's day in Shanghai: it starts two days after Monday 09:00
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


@pytest.fixture
def patrol(service_as, team, members, clock) -> dict:
    """A two-hour patrol person_0 and person_1 claimed and person_0 started."""
    task = open_task(service_as, team, clock, headcount=2, hours=2)
    for n in (0, 1):
        service_as(volunteer(f"person_{n}")).claim_task(task_id=task["task_id"])
    return service_as(volunteer("person_0")).start_task(task_id=task["task_id"])


@pytest.fixture
def logged(service_as, patrol) -> dict:
    """person_0 100 minutes (verified, approved), person_1 130 of 90 scheduled (not verified)."""
    mine = service_as(volunteer("person_0")).log_hours(task_id=patrol["task_id"], actual_minutes=100)
    theirs = service_as(volunteer("person_1")).log_hours(task_id=patrol["task_id"], actual_minutes=130,
                                                         scheduled_minutes=90, note="多巡了一栋")
    service_as(SECRETARY).verify_hours(hours_id=mine["hours_id"], approved=True, note="与签到表一致")
    return {"person_0": mine, "person_1": theirs}


def test_hours_are_not_logged_before_the_task_starts(service_as, team, members, clock):
    task = open_task(service_as, team, clock)
    service_as(volunteer("person_0")).claim_task(task_id=task["task_id"])

    with pytest.raises(InvalidTransition) as refused:
        service_as(volunteer("person_0")).log_hours(task_id=task["task_id"], actual_minutes=60)

    assert named(refused.value) == ["state"]


def test_a_claimant_logs_hours_scheduled_from_the_task_window(service_as, patrol, broker):
    record = service_as(volunteer("person_0")).log_hours(task_id=patrol["task_id"], actual_minutes=100)

    assert (record["person_id"], record["day"]) == ("person_0", DAY)
    assert (record["scheduled_minutes"], record["actual_minutes"]) == (120, 100)
    assert record["verification"] is None
    assert broker.published[-1]["type"] == "hours_logged"


def test_hours_are_corrected_before_they_are_verified_and_not_after(service_as, patrol):
    member = service_as(volunteer("person_0"))
    first = member.log_hours(task_id=patrol["task_id"], actual_minutes=100)

    corrected = member.log_hours(task_id=patrol["task_id"], actual_minutes=110, note="少算了收尾")
    service_as(SECRETARY).verify_hours(hours_id=first["hours_id"], approved=True)
    with pytest.raises(HoursVerified) as refused:
        member.log_hours(task_id=patrol["task_id"], actual_minutes=200)

    assert corrected["hours_id"] == first["hours_id"] and corrected["actual_minutes"] == 110
    assert [e["actual_minutes"] for e in corrected["history"]] == [100, 110]
    assert named(refused.value) == ["hours_id"]


def test_staff_verify_hours_and_the_verification_says_who(service_as, patrol):
    record = service_as(volunteer("person_0")).log_hours(task_id=patrol["task_id"], actual_minutes=100)

    verified = service_as(SECRETARY).verify_hours(hours_id=record["hours_id"], approved=False, note="签到表无记录")

    assert verified["verification"]["approved"] is False and verified["verification"]["by"]["who"] == "曾玉琴"
    assert verified["history"][-1]["action"] == "verify"


def test_a_volunteer_may_not_verify_hours(service_as, patrol):
    record = service_as(volunteer("person_0")).log_hours(task_id=patrol["task_id"], actual_minutes=100)

    with pytest.raises(Forbidden) as refused:
        service_as(volunteer("person_1")).verify_hours(hours_id=record["hours_id"], approved=True)

    assert named(refused.value) == ["role"]


def test_the_team_report_totals_scheduled_actual_and_verified_minutes(service_as, team, logged):
    report = service_as(SECRETARY).hours_report(team_id=team["team_id"], **PERIOD)

    assert report["total"] == {"tasks": 2, "scheduled_minutes": 210, "actual_minutes": 230, "verified_minutes": 100,
                               "unverified": 1}
    assert [(m["person_id"], m["actual_minutes"], m["verified_minutes"]) for m in report["members"]] == [
        ("person_1", 130, 0), ("person_0", 100, 100)]


def test_the_report_holds_only_the_period_asked(service_as, team, logged):
    report = service_as(SECRETARY).hours_report(team_id=team["team_id"], date_from="2026-03-05",
                                                date_to="2026-03-31")

    assert report["total"]["tasks"] == 0 and report["members"] == []


def test_a_volunteer_sees_only_their_own_hours(service_as, team, logged):
    mine = service_as(volunteer("person_0")).hours_report(team_id=team["team_id"], **PERIOD)
    by_person = service_as(volunteer("person_0")).hours_report(person_id="person_0", **PERIOD)

    with pytest.raises(Forbidden) as refused:
        service_as(volunteer("person_0")).hours_report(person_id="person_1", **PERIOD)

    assert [m["person_id"] for m in mine["members"]] == ["person_0"] and mine["total"]["actual_minutes"] == 100
    assert by_person["total"] == mine["total"]
    assert named(refused.value) == ["person_id"]


def test_the_export_is_a_workbook_with_a_row_per_record_and_the_totals(service_as, team, logged):
    export = service_as(SECRETARY).hours_export(team_id=team["team_id"], **PERIOD)

    book = load_workbook(io.BytesIO(base64.b64decode(export["content_base64"])))
    records = [row for row in book["服务记录"].iter_rows(min_row=3, values_only=True)]
    totals = [row for row in book["时长汇总"].iter_rows(min_row=3, values_only=True)]
    assert export["filename"] == "service-record-2026-03-01-2026-03-31.xlsx" and export["rows"] == 2
    assert sorted((r[0], r[1], r[4], r[5], r[10]) for r in records) == [
        (DAY, "李律师", 90, 130, "待核实"), (DAY, "王律师", 120, 100, "核实通过")]
    assert totals == [("李律师", 1, 90, 130, 0, 1), ("王律师", 1, 120, 100, 100, 0), ("合计", 2, 210, 230, 100, 1)]
    assert book["服务记录"]["A1"].value == "志愿服务记录 嘉园法律服务队 2026-03-01 至 2026-03-31"
    assert sorted((r[1], r[6], r[8]) for r in records) == [
        ("李律师", "李律师", None), ("王律师", "王律师", f"社区书记 {SECRETARY.who}")]

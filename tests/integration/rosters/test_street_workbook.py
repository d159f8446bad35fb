"""A street office imports its whole roster in one workbook (东湖街道: five communities, 45
grids, 幸福小区 in every grid) through the real service on the real broker and database: a dry
run counts the places it would create and writes nothing; the job runs in the background with
its progress shown from the first poll; every leader lands in the chain of exactly the unit
its row names; every bad row is reported with its line and all its reasons; the report
workbook carries an error column; and importing it again changes nothing."""

import base64
import io
import time

import pytest
from openpyxl import load_workbook

from services.rosters.rows import ROLE_NAMES
from tests.street_workbook import COMMUNITIES, DISTRICT, STREET, RowPlan, places_to_create, street_workbook

FILENAME = "东湖街道2026年花名册.xlsx"


@pytest.fixture
def street(rosters) -> str:
    """东湖街道 and its five communities, each with its own levels; nothing below them yet."""
    district = rosters.create_unit(name=DISTRICT, level="district")
    street = rosters.create_unit(parent_id=district["unit_id"], name=STREET, level="street")
    for community, levels in COMMUNITIES.items():
        rosters.create_unit(parent_id=street["unit_id"], name=community, level="community",
                            config={"levels": levels})
    return street["unit_id"]


@pytest.fixture(scope="module")
def workbook() -> tuple[str, list[RowPlan]]:
    content, plans = street_workbook()
    return base64.b64encode(content).decode(), plans


def counts(db) -> dict[str, int]:
    return {name: db[name].count_documents({}) for name in ("units", "people", "appointments", "imports")}


def run_to_the_end(rosters, job: dict) -> list[dict]:
    """`import_status` polled until the job is done: every answer."""
    polls = [rosters.import_status(job_id=job["job_id"])]
    deadline = time.monotonic() + 300
    while polls[-1]["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.25)
        polls.append(rosters.import_status(job_id=job["job_id"]))
    return polls


def test_a_street_workbook_is_planned_imported_in_the_background_placed_by_full_path_and_reported(
        rosters, rosters_db, street, workbook):
    content, plans = workbook
    good = [p for p in plans if not p.problems]
    bad = [p for p in plans if p.problems]
    before = counts(rosters_db)

    plan = rosters.import_roster(node_id=street, filename=FILENAME, content_base64=content,
                                 create_places=True, dry_run=True)

    print(f"\n[street workbook] rows={len(plans)} good={len(good)} bad={len(bad)} {plan['summary']}")
    assert plan["would_create"] == places_to_create(plans)
    assert (plan["total"], plan["would_import"], plan["rejected"]) == (len(plans), len(good), len(bad))
    assert counts(rosters_db) == before

    started = time.monotonic()
    job = rosters.import_roster(node_id=street, filename=FILENAME, content_base64=content, create_places=True)
    answered = time.monotonic() - started
    polls = run_to_the_end(rosters, job)

    took = time.monotonic() - started
    samples = [(p["state"], p["processed"]) for p in polls]
    print(f"[street workbook] answered in {answered:.2f}s, done in {took:.1f}s, {len(polls)} polls: "
          f"{samples[:3]} … {samples[-3:]}")
    assert (job["state"], job["total"], job["processed"]) == ("queued", len(plans), 0)
    assert {p["total"] for p in polls} == {len(plans)}
    assert [p["processed"] for p in polls] == sorted(p["processed"] for p in polls)
    assert len(polls) > 2 and polls[-1]["state"] == "done"
    status = polls[-1]
    print(f"[street workbook] imported={status['imported']} rejected={status['rejected']} "
          f"places_created={status['places_created']}")
    assert (status["processed"], status["imported"], status["unchanged"], status["rejected"]) == (
        len(plans), len(good), 0, len(bad))
    assert status["places_created"] == plan["would_create"]
    assert counts(rosters_db)["units"] == before["units"] + sum(plan["would_create"].values())
    assert_each_leader_in_the_chain_of_exactly_its_unit(rosters, rosters_db, good)
    assert_every_problem_of_every_bad_row_reported(status["errors"], bad)
    assert_the_report_has_the_error_column(rosters, job, plans)

    first = counts(rosters_db)

    again = run_to_the_end(rosters, rosters.import_roster(node_id=street, filename=FILENAME,
                                                          content_base64=content, create_places=True))[-1]

    assert (again["imported"], again["unchanged"], again["rejected"], again["places_created"]) == (
        0, len(good), len(bad), {})
    assert counts(rosters_db) == {**first, "imports": first["imports"] + 1}


def assert_each_leader_in_the_chain_of_exactly_its_unit(rosters, db, good: list[RowPlan]) -> None:
    """Each place has exactly one row, so a leader put at a same-named place in another grid
    would leave one unit with two leaders and another with none."""
    for row in good:
        unit = rosters.locate_unit(path=[DISTRICT, STREET, *row.place])
        leaders = rosters.responsible_chain(unit_id=unit["unit_id"])[0]["leaders"]
        assert [(p["name"], p["role"], p["phone"]) for p in leaders] == [
            (row.name, ROLE_NAMES[row.role], row.phone)], (row.line, row.place)
        [appointment] = db.appointments.find({"unit_id": unit["unit_id"], "status": "appointed"})
        assert appointment["term_start"] == ("2024-03-01" if row.cells["term_start"] else None), row.line
        assert appointment["term_end"] == ("2027-02-28" if row.cells["term_end"] else None), row.line
    xingfu = {tuple(r.place) for r in good if r.place[-3:] == ["幸福小区", "1栋", "1单元"]}
    assert len(xingfu) == 36  # one 幸福小区/1栋/1单元 in each grid with estates, each with its own leader


def assert_every_problem_of_every_bad_row_reported(errors: list[dict], bad: list[RowPlan]) -> None:
    assert {e["line"] for e in errors} == {row.line for row in bad}
    for row in bad:
        found = [(e["field"], e["reason"]) for e in errors if e["line"] == row.line]
        assert len(found) == len(row.problems), found
        for header, reason in row.problems:
            assert any(field == header and reason in said for field, said in found), (row.line, header, found)


def assert_the_report_has_the_error_column(rosters, job: dict, plans: list[RowPlan]) -> None:
    report = rosters.import_report(job_id=job["job_id"])
    sheet = load_workbook(io.BytesIO(base64.b64decode(report["content_base64"]))).active
    header = [cell.value for cell in sheet[3]]
    column = header.index("导入错误") + 1
    assert header[:2] == ["序号", "姓名"]
    assert (report["imported"], report["rejected"]) == (sum(not p.problems for p in plans), sum(bool(p.problems)
                                                                                               for p in plans))
    for row in plans:
        said = sheet.cell(row=row.line, column=column).value
        assert bool(said) == bool(row.problems), (row.line, said)
        assert sheet.cell(row=row.line, column=2).value == (row.cells["name"] or None)

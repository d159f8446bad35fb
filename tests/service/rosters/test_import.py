"""Importing a roster file (the RPC `import_roster`, its job, `import_status`, `import_report`):
the call reads the file and queues a job at once; a runner then makes good rows people and
appointed leaders, each announced once; a file imported again changes nothing; every bad row
is reported with its workbook line, its columns and all its reasons; a job whose process died
is finished by another after its lease."""

import base64
import csv
import io
from collections import Counter
from datetime import datetime

import pytest
from nameko.testing.services import worker_factory
from openpyxl import Workbook, load_workbook

from services.rosters.demo import find_place
from services.rosters.import_jobs import claim_jobs, take_and_run
from services.rosters.import_run import run_job
from services.rosters.service import RostersService
from shared.errors import Conflict, Forbidden, ValidationFailed
from tests.fakes.mongo import Died
from tests.service.fakes import FakeActorAccess
from tests.service.rosters.conftest import OPS, UNMASK_ROLES, die_at, kept, process
from tests.service.rosters.making import actor_at

HEADERS = ["序号", "姓名", "联系电话", "是否党员", "职业", "特长", "职务", "网格", "片区",
           "小区", "楼栋", "单元", "聘书编号", "任职时间", "任期结束"]
WHERE = ["第一网格", "红花坡片区"]
TERM = ["2024-01-01", "2026-12-31"]
GOOD_ROWS = [
    [1, "李秀英", "138 0731 0011", "是", "退休教师", "书法、调解", "单元长", *WHERE, "金昌花园", "2栋", "2单元",
     "JY-0011", *TERM],
    [2, "张伟", "+86 13807310012", "否", "电工", "水电", "单元长", *WHERE, "金昌花园", "1栋", "2单元", "", "", ""],
    [3, "钱多多", "１３８０７３１００２１", "是", "护士", "急救", "单元长", *WHERE, "名都凯旋城", "2栋", "2单元",
     "JY-0021", "2024年3月", "2027/2/28"],
]
GOOD_PLACES = ["嘉园社区/金昌花园/2栋/2单元", "嘉园社区/金昌花园/1栋/2单元", "嘉园社区/名都凯旋城/2栋/2单元"]
# a title row and a blank row above the header: the header is line 3, the good rows lines 4-6
BAD_ROWS = [
    ([4, "王芳", "1380731", "否", "会计", "", "保安队长", *WHERE, "金昌花园", "3栋", "2单元", "JY-0013", *TERM],
     {("联系电话", "must be an 11-digit mainland mobile number"), ("职务", "unknown role: 保安队长")}),
    ([5, "", "13807310014", "否", "", "", "单元长", *WHERE, "金昌花园", "9栋", "1单元", "JY-0014", "2024-13-01", ""],
     {("姓名", "required"), ("任职时间", "not a date: 2024-13-01 (no such day)"),
      ("楼栋", "no such 楼栋 in 嘉园社区/第一网格/红花坡片区/金昌花园: 9栋")}),
    ([6, "周杰", "13807310016", "是", "", "", "楼栋长", *WHERE, "金昌花园", "3栋", "2单元", "JY-0016",
      "2024-06-01", "2024-01-01"],
     {("任期结束", "must be after the term start"),
      ("职务", "a 楼栋长 is appointed at a 楼栋; this row names a 单元")}),
]


def roster_csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["嘉园社区2026年单元长花名册"], [], HEADERS, *rows])
    return base64.b64encode(buffer.getvalue().encode("utf-8-sig")).decode()


def roster_xlsx(rows: list[list]) -> str:
    workbook = Workbook()
    for row in [["嘉园社区2026年单元长花名册"], [], HEADERS, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


class Runner:
    """The service's import runner as a worker sees it: counts how often it was woken."""

    def __init__(self):
        self.woken = 0

    def __call__(self) -> None:
        self.woken += 1


@pytest.fixture
def rosters(store):
    """`rosters(actor, config)`: a worker whose runner only counts wake-ups (tests run the jobs)."""
    return lambda actor=OPS, **config: worker_factory(
        RostersService, store=store, actor=FakeActorAccess(actor), import_runner=Runner(),
        config={"UNMASK_ROLES": UNMASK_ROLES, **config}, error_log=None)


def import_file(service, street, content: str, filename: str = "roster.csv", **more) -> dict:
    return service.import_roster(community_id=find_place(street, "嘉园社区"), filename=filename,
                                 content_base64=content, **more)


def imported(service, store, clock, street, content: str, **more) -> dict:
    """Import and run the job to its end: the job's status."""
    job = import_file(service, street, content, **more)
    take_and_run(store, "instance-1", now=clock)
    return service.import_status(job_id=job["job_id"])


def leaders_of(store, street, place: str) -> list[str]:
    return [leader["name"] for leader in store.units.get(find_place(street, place))["leaders"]]


def new_row(n: int, name: str, role: str, *place: str) -> list:
    """A row with no certificate or term yet, at a place of 嘉园社区 (网格, 片区, 小区, 楼栋, 单元)."""
    return [n, name, f"1380731003{n}", "否", "", "", role, *place, "", "", ""]


def leaders_at(store, below_jiayuan: str) -> list[str]:
    unit = store.units.at_path(["雨花区", "左家塘街道", "嘉园社区", *below_jiayuan.split("/")])
    return [leader["name"] for leader in unit["leaders"]]


def test_the_call_reads_the_file_and_queues_a_job_with_its_total_before_any_row_is_processed(
        rosters, store, street, db):
    people, service = len(db["people"].docs), rosters()

    job = import_file(service, street, roster_csv(GOOD_ROWS))

    assert (job["state"], job["total"], job["processed"], job["report"]) == ("queued", 3, 0, None)
    assert len(db["people"].docs) == people
    assert service.import_runner.woken == 1


def test_a_roster_run_gives_each_row_a_person_and_an_appointed_leader_announced_once(
        rosters, store, street, broker, db, clock):
    people, appointments = len(db["people"].docs), len(db["appointments"].docs)

    status = imported(rosters(), store, clock, street, roster_csv(GOOD_ROWS))

    assert (status["state"], status["total"], status["processed"]) == ("done", 3, 3)
    assert (status["imported"], status["unchanged"], status["rejected"], status["errors"]) == (3, 0, 0, [])
    assert (len(db["people"].docs), len(db["appointments"].docs)) == (people + 3, appointments + 3)
    assert [leaders_of(store, street, place) for place in GOOD_PLACES] == [["李秀英"], ["张伟"], ["钱多多"]]
    assert broker.types() == Counter(appointment_started=3, unit_changed=3)


def test_phones_and_dates_are_read_as_offices_write_them_and_empty_optional_fields_stay_empty(
        rosters, store, street, clock):
    imported(rosters(), store, clock, street, roster_csv(GOOD_ROWS))

    kept_rows = [store.appointments.current({"unit_id": find_place(street, place)})[0] for place in GOOD_PLACES]

    assert [store.people.get(a["person_id"])["phone"] for a in kept_rows] == [
        "13807310011", "13807310012", "13807310021"]
    assert [(a["certificate_no"], a["term_start"], a["term_end"]) for a in kept_rows] == [
        ("JY-0011", "2024-01-01", "2026-12-31"), (None, None, None), ("JY-0021", "2024-03-01", "2027-02-28")]


def test_the_same_file_imported_again_changes_nothing_but_its_job_and_announces_nothing(
        rosters, store, street, broker, db, clock):
    service, content = rosters(), roster_csv(GOOD_ROWS + [row for row, _ in BAD_ROWS])
    imported(service, store, clock, street, content)
    before, announced = kept(db, leaving_out=("imports", "import_files")), list(broker.published)

    again = imported(service, store, clock, street, content)

    assert (again["total"], again["imported"], again["unchanged"], again["rejected"]) == (6, 0, 3, 3)
    assert kept(db, leaving_out=("imports", "import_files")) == before
    assert broker.published == announced


def test_every_problem_of_each_bad_row_is_reported_with_its_workbook_line_and_header(
        rosters, store, street, db, clock):
    people = len(db["people"].docs)

    status = imported(rosters(), store, clock, street, roster_csv(GOOD_ROWS + [row for row, _ in BAD_ROWS]))

    assert (status["imported"], status["rejected"]) == (3, 3)
    found = {line: {(e["field"], e["reason"]) for e in status["errors"] if e["line"] == line} for line in (7, 8, 9)}
    assert found == {7: BAD_ROWS[0][1], 8: BAD_ROWS[1][1], 9: BAD_ROWS[2][1]}
    assert len(db["people"].docs) == people + 3
    assert leaders_of(store, street, "嘉园社区/金昌花园/3栋/2单元") == []


def test_an_xlsx_roster_with_numeric_phones_date_cells_and_serial_numbers_is_imported(
        rosters, store, street, clock):
    rows = [[1, "钱多多", 13807310021, "是", "护士", "急救", "单元长", *WHERE, "名都凯旋城", "2栋", "2单元",
             "JY-0021", datetime(2024, 3, 1), 46811]]

    status = imported(rosters(), store, clock, street, roster_xlsx(rows), filename="roster.xlsx")

    assert (status["imported"], status["errors"]) == (1, [])
    [appointment] = store.appointments.current({"unit_id": find_place(street, "嘉园社区/名都凯旋城/2栋/2单元")})
    assert (appointment["term_start"], appointment["term_end"]) == ("2024-03-01", "2028-02-28")


def test_a_dry_run_reports_the_places_it_would_create_and_writes_nothing(rosters, store, street, db):
    rows = [new_row(1, "孙丽", "单元长", "第二网格", "幸福片区", "幸福小区", "1栋", "1单元"),
            new_row(2, "吴刚", "单元长", "第二网格", "幸福片区", "幸福小区", "1栋", "2单元"),
            new_row(3, "郑爽", "楼栋长", *WHERE, "金昌花园", "4栋", "")]
    before = kept(db)

    plan = import_file(rosters(), street, roster_csv(rows), create_places=True, dry_run=True)

    assert (plan["state"], plan["job_id"], plan["would_import"], plan["errors"]) == ("dry_run", None, 3, [])
    assert plan["would_create"] == {"grid": 1, "zone": 1, "estate": 1, "building": 2, "unit": 2}
    assert plan["summary"] == "would create 1 grid, 1 zone, 1 estate, 2 buildings, 2 units"
    new_estate = "嘉园社区/第二网格/幸福片区/幸福小区"
    assert [p["path"] for p in plan["places"]] == [
        "嘉园社区/第二网格", "嘉园社区/第二网格/幸福片区", new_estate, f"{new_estate}/1栋", f"{new_estate}/1栋/1单元",
        f"{new_estate}/1栋/2单元", "嘉园社区/第一网格/红花坡片区/金昌花园/4栋"]
    assert kept(db) == before


def test_places_are_created_when_asked_and_a_second_run_creates_none(rosters, store, street, db, clock):
    rows = [new_row(1, "孙丽", "单元长", "第二网格", "幸福片区", "幸福小区", "1栋", "1单元"),
            new_row(2, "吴刚", "网格长", "第二网格", "", "", "", "")]
    units = len(db["units"].docs)

    first = imported(rosters(), store, clock, street, roster_csv(rows), create_places=True)
    again = imported(rosters(), store, clock, street, roster_csv(rows), create_places=True)

    assert first["places_created"] == {"grid": 1, "zone": 1, "estate": 1, "building": 1, "unit": 1}
    assert (again["places_created"], again["unchanged"]) == ({}, 2)
    assert len(db["units"].docs) == units + 5
    assert leaders_at(store, "第二网格") == ["吴刚"]
    assert leaders_at(store, "第二网格/幸福片区/幸福小区/1栋/1单元") == ["孙丽"]


# the runner dies at the n-th progress write (1: after row 5, 2: after row 10, 3: after row 15)
@pytest.mark.parametrize("dies_at", [1, 2, 3])
def test_a_job_whose_process_died_is_finished_by_another_after_its_lease_and_appoints_each_row_once(
        rosters, store, street, db, broker, clock, dies_at):
    rows = [[n, f"居民{n}", f"1390731{n:04d}", "否", "", "", "单元长", *WHERE, estate, building, unit, "", "", ""]
            for n, (estate, building, unit) in enumerate(
                [(e, f"{b}栋", f"{u}单元") for e, bs in (("金昌花园", "123"), ("名都凯旋城", "12"))
                 for b in bs for u in "12"] * 3)][:25]
    job = import_file(rosters(), street, roster_csv(rows))
    die_at(db, "update_one", "imports", dies_at + 1)  # the first update is the claim

    with pytest.raises(Died):
        take_and_run(store, "instance-1", now=clock)
    die_at(db, "", None)
    halfway = rosters().import_status(job_id=job["job_id"])
    assert take_and_run(process(db, broker, clock), "instance-2", now=clock) == []  # still leased
    clock.move(seconds=61)
    take_and_run(process(db, broker, clock), "instance-2", now=clock)

    status = rosters().import_status(job_id=job["job_id"])
    assert (halfway["state"], halfway["processed"]) == ("running", 5 * (dies_at - 1))
    assert (status["state"], status["processed"], status["imported"] + status["unchanged"]) == ("done", 25, 25)
    assert broker.types()["appointment_started"] == 25


def test_a_job_is_shown_only_to_a_caller_whose_reach_covers_its_community(rosters, store, street, clock):
    job = import_file(rosters(), street, roster_csv(GOOD_ROWS))
    other_community = actor_at(street, "联福社区书记", "secretary", "联福社区")
    own_secretary = actor_at(street, "嘉园社区书记", "secretary", "嘉园社区")

    with pytest.raises(Forbidden):
        rosters(other_community).import_status(job_id=job["job_id"])
    with pytest.raises(Forbidden):
        rosters(other_community).import_report(job_id=job["job_id"])
    assert rosters(own_secretary).import_status(job_id=job["job_id"])["state"] == "queued"


def test_a_job_id_given_by_the_caller_is_scoped_to_its_community_and_never_reused_for_another_file(
        rosters, store, street):
    service = rosters()
    ours = import_file(service, street, roster_csv(GOOD_ROWS), job_id="import-2026-03")
    theirs = service.import_roster(community_id=find_place(street, "联福社区"), filename="roster.csv",
                                   content_base64=roster_csv(GOOD_ROWS), job_id="import-2026-03")

    repeat = import_file(service, street, roster_csv(GOOD_ROWS), job_id="import-2026-03")
    with pytest.raises(Conflict) as refused:
        import_file(service, street, roster_csv(GOOD_ROWS[:1]), job_id="import-2026-03")

    assert ours["job_id"] != theirs["job_id"]
    assert repeat["job_id"] == ours["job_id"]
    assert refused.value.details[0]["field"] == "job_id"


def test_the_report_is_the_office_s_own_workbook_with_an_error_column(rosters, store, street, clock):
    service = rosters()
    job = import_file(service, street, roster_csv(GOOD_ROWS + [row for row, _ in BAD_ROWS]))
    take_and_run(store, "instance-1", now=clock)

    report = service.import_report(job_id=job["job_id"])

    sheet = load_workbook(io.BytesIO(base64.b64decode(report["content_base64"]))).active
    assert (report["filename"], report["imported"], report["rejected"]) == ("roster-导入结果.xlsx", 3, 3)
    assert sheet.cell(row=1, column=1).value == "嘉园社区2026年单元长花名册"
    assert sheet.cell(row=3, column=len(HEADERS) + 1).value == "导入错误"
    assert [sheet.cell(row=line, column=len(HEADERS) + 1).value is not None for line in range(4, 10)] == [
        False, False, False, True, True, True]
    assert "unknown role" in sheet.cell(row=7, column=len(HEADERS) + 1).value


def test_a_file_larger_than_the_configured_cap_is_refused_before_anything_is_read(rosters, street):
    with pytest.raises(ValidationFailed) as refused:
        import_file(rosters(IMPORT_MAX_BYTES=100), street, roster_csv(GOOD_ROWS))

    assert "IMPORT_MAX_BYTES" in refused.value.fields["content_base64"]


def test_a_file_without_a_header_row_is_refused_naming_what_was_looked_for(rosters, street):
    content = base64.b64encode("花名册\n张三,13807310011\n".encode()).decode()

    with pytest.raises(ValidationFailed) as refused:
        import_file(rosters(), street, content)

    assert "no header row" in refused.value.fields["content_base64"]


def test_a_process_that_stops_lets_go_of_its_job_and_another_goes_on_from_its_last_row_at_once(
        rosters, store, street, db, broker, clock):
    rows = [new_row(n, f"居民{n}", "楼栋长", *WHERE, "金昌花园", f"{n}栋", "") for n in range(1, 8)]
    job = import_file(rosters(), street, roster_csv(rows), create_places=True)
    [claimed] = claim_jobs(store, "instance-1", 60, clock(), room=1)
    answers = iter([True, False])

    run_job(store, claimed, "instance-1", 60, now=clock, keep_going=lambda: next(answers))
    stopped = rosters().import_status(job_id=job["job_id"])
    taken = take_and_run(process(db, broker, clock), "instance-2", now=clock)

    status = rosters().import_status(job_id=job["job_id"])
    assert (stopped["state"], stopped["processed"], taken) == ("running", 5, [job["job_id"]])
    assert (status["state"], status["processed"], status["imported"]) == ("done", 7, 7)
    assert status["places_created"] == {"building": 4}

"""Importing a roster file (the RPC `import_roster` and its job): good rows become people and
appointed leaders, each announced once; a file imported again changes nothing; every bad row
is reported with its line, column and reason; the job shows its progress as it goes."""

import base64
import csv
import io
from collections import Counter
from datetime import datetime

import pytest
from openpyxl import Workbook

from services.rosters.demo import find_place
from shared.errors import Forbidden
from tests.fakes.mongo import Died
from tests.service.rosters.conftest import die_at, kept
from tests.service.rosters.making import actor_at

HEADERS = ["姓名", "手机号", "是否党员", "职业", "特长", "职务",
           "小区", "楼栋", "单元", "聘书编号", "任期开始", "任期结束"]
TERM = ["2024-01-01", "2026-12-31"]
GOOD_ROWS = [
    ["李秀英", "13807310011", "是", "退休教师", "书法、调解", "单元长", "金昌花园", "2栋", "2单元", "JY-0011", *TERM],
    ["张伟", "13807310012", "否", "电工", "水电", "单元长", "金昌花园", "1栋", "2单元", "JY-0012", *TERM],
    ["钱多多", "13807310021", "是", "护士", "急救", "单元长", "名都凯旋城", "2栋", "2单元", "JY-0021",
     "2024-03-01", "2027-02-28"],
]
GOOD_PLACES = ["嘉园社区/金昌花园/2栋/2单元", "嘉园社区/金昌花园/1栋/2单元", "嘉园社区/名都凯旋城/2栋/2单元"]
# row, column, reason (the header is line 1, so the first of these, after the good rows, is line 5)
BAD_ROWS = [
    (["王芳", "1380731", "否", "会计", "", "单元长", "金昌花园", "3栋", "2单元", "JY-0013", *TERM],
     "手机号", "must be an 11-digit mainland mobile number"),
    (["赵敏", "13807310014", "否", "", "", "单元长", "金昌花园", "9栋", "1单元", "JY-0014", *TERM],
     "单元", "no such place in this community: 金昌花园/9栋/1单元"),
    (["孙丽", "13807310015", "否", "", "", "保安队长", "金昌花园", "3栋", "2单元", "JY-0015", *TERM],
     "职务", "unknown role"),
    (["周杰", "13807310016", "是", "", "", "单元长", "金昌花园", "3栋", "2单元", "JY-0016", "2024-06-01", "2024-01-01"],
     "任期结束", "must be after the term start"),
    (["吴刚", "13807310017", "否", "", "", "楼栋长", "金昌花园", "3栋", "2单元", "JY-0017", *TERM],
     "职务", "a building_leader is appointed to a building, not a unit"),
]


def csv_base64(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS, *rows])
    return base64.b64encode(buffer.getvalue().encode("utf-8-sig")).decode()


def xlsx_base64(rows: list[list[object]]) -> str:
    workbook = Workbook()
    for row in [HEADERS, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def import_file(service, street, content: str, filename: str = "roster.csv", **more) -> dict:
    return service.import_roster(community_id=find_place(street, "嘉园社区"), filename=filename,
                                 content_base64=content, **more)


def leaders_of(store, street, place: str) -> list[str]:
    return [leader["name"] for leader in store.units.get(find_place(street, place))["leaders"]]


def test_a_roster_imported_once_gives_each_row_a_person_and_an_appointed_leader_announced_once(
        service_as, store, street, broker, db):
    people, appointments = len(db["people"].docs), len(db["appointments"].docs)

    report = import_file(service_as(), street, csv_base64(GOOD_ROWS))

    assert (report["total"], report["imported"], report["unchanged"], report["errors"]) == (3, 3, 0, [])
    assert (len(db["people"].docs), len(db["appointments"].docs)) == (people + 3, appointments + 3)
    assert [leaders_of(store, street, place) for place in GOOD_PLACES] == [["李秀英"], ["张伟"], ["钱多多"]]
    started = broker.of("appointment_started")
    assert [store.appointments.get(e["payload"]["appointment_id"])["status"] for e in started] == ["appointed"] * 3
    assert [[h["status"] for h in store.appointments.get(e["payload"]["appointment_id"])["history"]]
            for e in started] == [["applicant", "screened", "appointed"]] * 3
    assert broker.types() == Counter(appointment_started=3, unit_changed=3)
    assert {e["payload"]["change"] for e in broker.of("unit_changed")} == {"leaders_changed"}


def test_the_same_file_imported_again_changes_nothing_but_its_job_and_announces_nothing(
        service_as, street, broker, db):
    service, content = service_as(), csv_base64(GOOD_ROWS + [row for row, *_ in BAD_ROWS])
    import_file(service, street, content)
    before, announced = kept(db, leaving_out=("imports",)), list(broker.published)

    again = import_file(service, street, content)

    assert (again["total"], again["imported"], again["unchanged"], len(again["errors"])) == (8, 0, 3, 5)
    assert kept(db, leaving_out=("imports",)) == before
    assert broker.published == announced


def test_each_bad_row_is_reported_with_its_line_column_and_reason_and_the_good_rows_are_imported(
        service_as, store, street, db):
    people = len(db["people"].docs)

    report = import_file(service_as(), street, csv_base64(GOOD_ROWS + [row for row, *_ in BAD_ROWS]))

    assert (report["total"], report["imported"], report["unchanged"]) == (8, 3, 0)
    assert report["errors"] == [{"line": line, "field": column, "reason": reason}
                                for line, (_, column, reason) in enumerate(BAD_ROWS, start=5)]
    assert len(db["people"].docs) == people + 3  # 吴刚's row names a place and a role that do not fit: not enrolled
    assert leaders_of(store, street, "嘉园社区/金昌花园/3栋/2单元") == []


def test_an_xlsx_roster_with_numeric_phones_and_date_cells_is_imported(service_as, store, street):
    rows = [["钱多多", 13807310021, "是", "护士", "急救", "单元长", "名都凯旋城", "2栋", "2单元",
             "JY-0021", datetime(2024, 3, 1), datetime(2027, 2, 28)],
            ["吴刚", 13807310022, "否", None, None, "单元长", "名都凯旋城", "5栋", "1单元",
             "JY-0022", datetime(2024, 3, 1), datetime(2027, 2, 28)]]

    report = import_file(service_as(), street, xlsx_base64(rows), "roster.xlsx")

    assert (report["total"], report["imported"]) == (2, 1)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(3, "单元")]
    [appointment] = store.appointments.current({"unit_id": find_place(street, "嘉园社区/名都凯旋城/2栋/2单元")})
    assert (appointment["term_start"], appointment["term_end"]) == ("2024-03-01", "2027-02-28")
    assert store.people.get(appointment["person_id"])["phone"] == "13807310021"


def a_big_roster(rows: int) -> list[list[str]]:
    """`rows` residents, each a unit leader in one of the ten units of 金昌花园 and 名都凯旋城."""
    places = [(estate, f"{building}栋", unit) for estate, buildings in (("金昌花园", "123"), ("名都凯旋城", "12"))
              for building in buildings for unit in ("1单元", "2单元")]
    return [[f"居民{n}", f"1390731{n:04d}", "否", "", "", "单元长", *places[n % 10], f"JY-1{n:03d}", *TERM]
            for n in range(rows)]


# the import dies at the n-th write of its job (1: progress at row 50, 2: at row 100, 3: done), or never
PROGRESS = [(1, "running", 0, None), (2, "running", 50, 101), (3, "running", 100, 101), (None, "done", 101, 101)]


@pytest.mark.parametrize(("dies_at", "state", "processed", "total"), PROGRESS, ids=lambda v: str(v))
def test_the_job_shows_its_progress_every_fifty_rows_and_its_report_when_done(
        service_as, street, db, dies_at, state, processed, total):
    service = service_as()
    if dies_at:
        die_at(db, "update_one", "imports", dies_at)

    try:
        import_file(service, street, csv_base64(a_big_roster(101)), job_id="import-jc-2026-03")
    except Died:
        assert dies_at is not None

    status = service.import_status(job_id="import-jc-2026-03")
    assert (status["state"], status["processed"], status["total"], status["filename"]) == (
        state, processed, total, "roster.csv")
    assert (status["report"] or {}).get("imported") == (101 if state == "done" else None)


def test_an_import_job_is_shown_only_to_a_caller_whose_reach_covers_its_community(service_as, street):
    import_file(service_as(), street, csv_base64(a_big_roster(3)), job_id="import-jc-2026-04")
    other_community = actor_at(street, "联福社区书记", "secretary", "联福社区")
    own_secretary = actor_at(street, "嘉园社区书记", "secretary", "嘉园社区")

    with pytest.raises(Forbidden):
        service_as(other_community).import_status(job_id="import-jc-2026-04")
    assert service_as(own_secretary).import_status(job_id="import-jc-2026-04")["state"] == "done"

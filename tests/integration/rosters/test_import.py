"""Roster import over RPC for a community (by its older argument name, `community_id`): the
call queues a job, the service runs it; good rows kept, bad rows reported, a re-import changes
nothing."""

import base64
import csv
import io
import time
from datetime import datetime

from openpyxl import Workbook

from services.rosters.demo import find_place

HEADERS = ["姓名", "手机号", "是否党员", "职业", "特长", "职务", "网格", "片区",
           "小区", "楼栋", "单元", "聘书编号", "任期开始", "任期结束"]
WHERE = ["第一网格", "红花坡片区"]  # a row names its place's full path below the community

GOOD_ROWS = [
    ["李秀英", "13807310011", "是", "退休教师", "书法、调解", "单元长", *WHERE, "金昌花园", "2栋", "2单元",
     "JY-0011", "2024-01-01", "2026-12-31"],
    ["张伟", "13807310012", "否", "电工", "水电", "单元长", *WHERE, "金昌花园", "1栋", "2单元",
     "JY-0012", "2024-01-01", "2026-12-31"],
]
BAD_ROWS = [
    # line 4: the phone number is too short
    ["王芳", "1380731", "否", "会计", "", "单元长", *WHERE, "金昌花园", "3栋", "2单元",
     "JY-0013", "2024-01-01", "2026-12-31"],
    # line 5: 金昌花园 has no 9栋
    ["赵敏", "13807310014", "否", "", "", "单元长", *WHERE, "金昌花园", "9栋", "1单元",
     "JY-0014", "2024-01-01", "2026-12-31"],
    # line 6: not a role of the roster
    ["孙丽", "13807310015", "否", "", "", "保安队长", *WHERE, "金昌花园", "3栋", "2单元",
     "JY-0015", "2024-01-01", "2026-12-31"],
    # line 7: the term ends before it starts
    ["周杰", "13807310016", "是", "", "", "单元长", *WHERE, "金昌花园", "3栋", "2单元",
     "JY-0016", "2024-06-01", "2024-01-01"],
]


def csv_base64(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS, *rows])
    return base64.b64encode(buffer.getvalue().encode("utf-8-sig")).decode()


def xlsx_base64(rows: list[list[object]]) -> str:
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def import_roster(rosters, **arguments) -> dict:
    """Import and wait for the job: its status once done."""
    job = rosters.import_roster(**arguments)
    deadline = time.monotonic() + 60
    while job["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
        job = rosters.import_status(job_id=job["job_id"])
    return job


def leader_names(rosters, demo, place: str) -> list[str]:
    return [leader["name"] for leader in rosters.responsible_chain(unit_id=find_place(demo, place))[0]["leaders"]]


def test_good_rows_are_imported_and_each_bad_row_is_reported_with_its_line_and_column(rosters, demo):
    community_id = find_place(demo, "嘉园社区")

    report = import_roster(rosters, community_id=community_id, filename="roster.csv",
                                   content_base64=csv_base64(GOOD_ROWS + BAD_ROWS))

    assert (report["total"], report["imported"], report["unchanged"], report["rejected"]) == (6, 2, 0, 4)
    assert [(error["line"], error["field"]) for error in report["errors"]] == [
        (4, "手机号"), (5, "楼栋"), (6, "职务"), (7, "任期结束")]
    reasons = [error["reason"] for error in report["errors"]]
    assert "11-digit" in reasons[0]
    assert reasons[1] == "no such 楼栋 in 嘉园社区/第一网格/红花坡片区/金昌花园: 9栋"
    assert reasons[2] == "unknown role: 保安队长"
    assert "after the term start" in reasons[3]


def test_imported_leaders_appear_in_the_responsible_chain_of_their_unit(rosters, demo):
    community_id = find_place(demo, "嘉园社区")

    import_roster(rosters, community_id=community_id, filename="roster.csv", content_base64=csv_base64(GOOD_ROWS))

    chain = rosters.responsible_chain(unit_id=find_place(demo, "嘉园社区/金昌花园/2栋/2单元"))
    assert chain[0]["leaders"] == [{"person_id": chain[0]["leaders"][0]["person_id"], "name": "李秀英",
                                    "role": "unit_leader", "phone": "13807310011"}]
    assert leader_names(rosters, demo, "嘉园社区/金昌花园/1栋/2单元") == ["张伟"]
    assert leader_names(rosters, demo, "嘉园社区/金昌花园/3栋/2单元") == []


def test_the_import_job_is_done_with_every_row_processed(rosters, demo):
    community_id = find_place(demo, "嘉园社区")
    report = import_roster(rosters, community_id=community_id, filename="roster.csv",
                                   content_base64=csv_base64(GOOD_ROWS + BAD_ROWS))

    status = rosters.import_status(job_id=report["job_id"])

    assert status["state"] == "done"
    assert status["processed"] == status["total"] == 6
    assert status["filename"] == "roster.csv"
    assert status["report"]["imported"] == 2


def test_importing_the_same_file_again_leaves_the_roster_unchanged(rosters, demo):
    community_id = find_place(demo, "嘉园社区")
    content = csv_base64(GOOD_ROWS + BAD_ROWS)
    import_roster(rosters, community_id=community_id, filename="roster.csv", content_base64=content)

    again = import_roster(rosters, community_id=community_id, filename="roster.csv", content_base64=content)

    assert (again["total"], again["imported"], again["unchanged"]) == (6, 0, 2)
    assert len(again["errors"]) == 4
    assert [p["name"] for p in rosters.search_people(name="李秀英")] == ["李秀英"]
    assert leader_names(rosters, demo, "嘉园社区/金昌花园/2栋/2单元") == ["李秀英"]


def test_an_xlsx_roster_with_numeric_phones_and_date_cells_is_imported(rosters, demo):
    community_id = find_place(demo, "嘉园社区")
    rows = [
        ["钱多多", 13807310021, "是", "护士", "急救", "单元长", *WHERE, "名都凯旋城", "2栋", "2单元",
         "JY-0021", datetime(2024, 3, 1), datetime(2027, 2, 28)],
        ["吴刚", 13807310022, "否", "", "", "单元长", *WHERE, "名都凯旋城", "5栋", "1单元",
         "JY-0022", datetime(2024, 3, 1), datetime(2027, 2, 28)],
    ]

    report = import_roster(rosters, community_id=community_id, filename="roster.xlsx",
                                   content_base64=xlsx_base64(rows))

    assert (report["total"], report["imported"]) == (2, 1)
    assert [(error["line"], error["field"]) for error in report["errors"]] == [(3, "楼栋")]
    assert leader_names(rosters, demo, "嘉园社区/名都凯旋城/2栋/2单元") == ["钱多多"]
    assert rosters.search_people(name="钱多多")[0]["phone"] == "13807310021"

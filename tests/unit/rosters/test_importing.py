"""Roster files to lines (CSV and XLSX importers), the header row found below titles, rows
read with every problem, and rows placed by their full path."""

import io
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from services.rosters.headers import HeaderNotFound, field_of, find_header
from services.rosters.import_report import report_workbook
from services.rosters.importers import CsvImporter, XlsxImporter
from services.rosters.placing import PlaceIndex, place_row
from services.rosters.rows import check_row
from services.rosters.workbook import Sheet, read_sheet
from shared.errors import ValidationFailed

TITLE = "左家塘街道2026年楼栋长花名册"
HEADERS = ["序号", "姓名", "手机号码", "职务", "所属社区", "所属网格", "小区", "楼栋", "单元", "任职时间"]
KANG = ["1", "康早新", "13807310004", "单元长", "嘉园社区", "第一网格", "金昌花园", "2栋", "1单元", "2023年1月"]


def csv_bytes(lines: list[str], encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def workbook_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_csv_yields_each_non_blank_line_with_its_number_in_the_file():
    content = csv_bytes([TITLE, ",,", ",".join(HEADERS), ",".join(KANG)])

    lines = list(CsvImporter().lines(content))

    assert lines == [(1, [TITLE]), (3, HEADERS), (4, KANG)]


def test_a_gb18030_csv_is_read_as_well():
    lines = list(CsvImporter().lines(csv_bytes([",".join(HEADERS), ",".join(KANG)], "gb18030")))

    assert lines[1] == (2, KANG)


def test_an_xlsx_sheet_yields_raw_cells_so_numbers_and_dates_are_seen_as_written():
    content = workbook_bytes([[TITLE], [], HEADERS, [1, "康早新", 13807310004, "单元长", "嘉园社区", "第一网格",
                                                     "金昌花园", "2栋", "1单元", datetime(2023, 1, 1)]])

    lines = list(XlsxImporter().lines(content))

    assert [line for line, _ in lines] == [1, 3, 4]
    assert lines[2][1][2] == 13807310004
    assert lines[2][1][9] == datetime(2023, 1, 1)


@pytest.mark.parametrize(("header", "field"), [
    ("联系电话", "phone"), ("手机", "phone"), ("手机号码", "phone"), ("电话", "phone"), ("任职时间", "term_start"),
    ("任期开始", "term_start"), ("所属社区", "community"), ("社区", "community"), ("所属网格", "grid"),
    (" 姓 名 ", "name"), ("姓名*", "name"), ("手机号（必填）", "phone"), ("序号", None), ("备注", None)])
def test_headers_are_known_by_their_common_aliases(header, field):
    assert field_of(header) == field


def test_the_header_is_found_below_the_title_and_blank_rows():
    header = find_header([(1, [TITLE]), (2, ["制表单位：左家塘街道"]), (4, HEADERS), (5, KANG)])

    assert header.line == 4
    assert header.columns["phone"] == 2 and header.columns["community"] == 4
    assert header.label("phone") == "手机号码" and header.label("term_end") == "任期结束"


def test_a_header_without_a_required_column_is_refused_naming_it():
    with pytest.raises(HeaderNotFound, match="职务"):
        find_header([(1, ["姓名", "电话", "小区", "楼栋"])])


def test_a_sheet_without_any_header_is_refused():
    with pytest.raises(HeaderNotFound, match="no header row"):
        find_header([(1, [TITLE]), (2, ["张三", "13807310004"])])


def test_a_sheet_is_read_into_rows_by_field_with_their_workbook_lines():
    content = csv_bytes([TITLE, "", ",".join(HEADERS), ",".join(KANG)])

    sheet = read_sheet(CsvImporter(), content, "roster.csv", max_rows=10)

    assert sheet.header.line == 3
    assert sheet.rows == [(4, {"name": "康早新", "phone": "13807310004", "role": "单元长", "community": "嘉园社区",
                               "grid": "第一网格", "estate": "金昌花园", "building": "2栋", "unit": "1单元",
                               "term_start": "2023年1月"})]


def test_a_sheet_with_more_rows_than_allowed_is_refused():
    content = csv_bytes([",".join(HEADERS), *[",".join(KANG)] * 4])

    with pytest.raises(ValidationFailed, match="more than 3 rows"):
        read_sheet(CsvImporter(), content, "roster.csv", max_rows=3)


def test_a_row_reports_every_problem_it_has_not_just_the_first():
    values, problems = check_row({"name": "", "phone": "1380731", "role": "保安队长", "term_start": "2024-06-01",
                                  "term_end": "2024年1月", "party_member": "也许", "id_number": "123"})

    assert sorted(field for field, _ in problems) == [
        "id_number", "name", "party_member", "phone", "role", "term_end"]


def test_a_row_without_certificate_or_term_is_fine_and_keeps_them_empty():
    values, problems = check_row({"name": "康早新", "phone": "13807310004", "role": "邻长",
                                  "skills": "水电、疏通下水道"})

    assert problems == []
    assert values.role == "building_leader"
    assert values.terms == {"certificate_no": None, "work_id": None, "term_start": None, "term_end": None}
    assert values.person["skills"] == ["水电", "疏通下水道"]


def unit(unit_id: str, name: str, level: str, parent: dict | None, **extra) -> dict:
    ancestors = [*parent["ancestors"], parent["_id"]] if parent else []
    return {"_id": unit_id, "name": name, "level": level, "ancestors": ancestors, **extra}


STREET = unit("zjt", "左家塘街道", "street", None)
LEVELS = ["grid", "estate", "building", "unit"]
ROLES = {"secretary": ["community"], "grid_leader": ["grid"], "building_leader": ["building"], "unit_leader": ["unit"]}
JIAYUAN = unit("jy", "嘉园社区", "community", STREET, config={"levels": LEVELS, "roles": ROLES})
GRID1, GRID2 = unit("g1", "第一网格", "grid", JIAYUAN), unit("g2", "第二网格", "grid", JIAYUAN)
XINGFU1, XINGFU2 = unit("x1", "幸福小区", "estate", GRID1), unit("x2", "幸福小区", "estate", GRID2)
B1, B2 = unit("b1", "1栋", "building", XINGFU1), unit("b2", "1栋", "building", XINGFU2)
U1, U2 = unit("u1", "1单元", "unit", B1), unit("u2", "1单元", "unit", B2)
HOME = unit("h1", "101户", "household", U1)
INDEX = PlaceIndex(STREET, [JIAYUAN, GRID1, GRID2, XINGFU1, XINGFU2, B1, B2, U1, U2, HOME])
ROW = {"community": "嘉园社区", "estate": "幸福小区", "building": "1栋", "unit": "1单元"}


def test_a_row_is_placed_by_its_full_path_never_by_an_estate_of_the_same_name_in_another_grid():
    first, _ = place_row(INDEX, {**ROW, "grid": "第一网格"}, "unit_leader", create=False)
    second, _ = place_row(INDEX, {**ROW, "grid": "第二网格"}, "unit_leader", create=False)

    assert (INDEX.get(first.key)["_id"], INDEX.get(second.key)["_id"]) == ("u1", "u2")


def test_a_role_is_held_at_the_deepest_place_its_row_names():
    grid, grid_problems = place_row(INDEX, {"community": "嘉园社区", "grid": "第二网格"}, "grid_leader", False)
    community, community_problems = place_row(INDEX, {"community": "嘉园社区"}, "secretary", False)

    assert (INDEX.get(grid.key)["_id"], grid_problems) == ("g2", [])
    assert (INDEX.get(community.key)["_id"], community_problems) == ("jy", [])


def test_a_role_at_a_level_it_may_not_hold_is_a_problem_of_the_role():
    _, problems = place_row(INDEX, {**ROW, "grid": "第一网格"}, "grid_leader", create=False)

    assert problems == [("role", "a 网格长 is appointed at a 网格; this row names a 单元")]


def test_a_place_that_does_not_exist_names_its_first_missing_level_unless_places_are_created():
    path = {**ROW, "grid": "第一网格", "building": "9栋", "unit": "2单元"}

    _, problems = place_row(INDEX, path, "unit_leader", create=False)
    placement, none = place_row(INDEX, path, "unit_leader", create=True)

    assert problems == [("building", "no such 楼栋 in 嘉园社区/第一网格/幸福小区: 9栋")]
    assert (none, [key[-1] for key in placement.missing]) == ([], [("building", "9栋"), ("unit", "2单元")])


def test_a_street_row_must_name_a_known_community_and_only_levels_it_uses():
    _, unnamed = place_row(INDEX, {"grid": "第一网格"}, "grid_leader", False)
    _, unknown = place_row(INDEX, {"community": "无名社区"}, "secretary", False)
    _, alley = place_row(INDEX, {"community": "嘉园社区", "grid": "第一网格", "alley": "红花坡巷"}, None, False)

    assert unnamed == [("community", "required: the row names its 社区")]
    assert unknown == [("community", "no such 社区 in 左家塘街道: 无名社区")]
    assert alley == [("alley", "嘉园社区 does not use the level 巷")]


def test_the_report_keeps_each_row_on_its_line_adds_the_error_column_and_never_makes_text_a_formula():
    lines = [(1, [TITLE]), (3, ["姓名", "手机号", "职务"]), (4, ["=HYPERLINK(\"http://x\")", "1380731", "单元长"]),
             (5, ["康早新", 13807310004, "单元长"])]
    sheet = Sheet(lines, find_header(lines))

    content = report_workbook(sheet, [{"line": 4, "field": "手机号", "reason": "must be an 11-digit number"},
                                      {"line": 4, "field": "姓名", "reason": "not a name"}])

    page = load_workbook(io.BytesIO(content)).active
    assert [page.cell(row=3, column=c).value for c in range(1, 5)] == ["姓名", "手机号", "职务", "导入错误"]
    assert page.cell(row=4, column=1).data_type == "s"
    assert page.cell(row=4, column=4).value == "手机号：must be an 11-digit number；姓名：not a name"
    assert (page.cell(row=5, column=2).value, page.cell(row=5, column=4).value) == (13807310004, None)

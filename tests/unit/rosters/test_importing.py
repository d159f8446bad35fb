"""Roster files to rows (CSV and XLSX importers), and rows to fields and places."""

import io
from datetime import date, datetime

from openpyxl import Workbook

from services.rosters.importers import CsvImporter, XlsxImporter
from services.rosters.importing import location_key, normalise, unit_index

HEADERS = ["姓名", "手机号", "是否党员", "职业", "特长", "职务",
           "小区", "楼栋", "单元", "聘书编号", "任期开始", "任期结束"]
KANG = ["康早新", "13807310004", "否", "水电工", "水电、疏通下水道", "单元长", "金昌花园", "2栋", "1单元",
        "JY-0004", "2023-01-01", "2025-12-31"]
SU = ["苏瑞安", "13807310005", "是", "", "园艺", "单元长", "金昌花园", "1栋", "1单元",
      "JY-0005", "2023-01-01", "2025-12-31"]


def csv_bytes(lines: list[str], encoding: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_a_utf8_csv_with_a_bom_yields_each_row_by_line_and_header():
    content = csv_bytes([",".join(HEADERS), ",".join(KANG), ",".join(SU)], "utf-8-sig")

    rows = list(CsvImporter().rows(content))

    assert rows == [(2, dict(zip(HEADERS, KANG, strict=True))), (3, dict(zip(HEADERS, SU, strict=True)))]


def test_a_gb18030_csv_is_read_as_well():
    content = csv_bytes([",".join(HEADERS), ",".join(KANG)], "gb18030")

    rows = list(CsvImporter().rows(content))

    assert rows == [(2, dict(zip(HEADERS, KANG, strict=True)))]
    assert rows[0][1]["小区"] == "金昌花园"


def test_a_csv_trims_cells_and_skips_blank_lines_but_keeps_counting_them():
    content = csv_bytes([" 姓名 , 手机号 ", ",", " 康早新 , 13807310004 "], "utf-8")

    rows = list(CsvImporter().rows(content))

    assert rows == [(3, {"姓名": "康早新", "手机号": "13807310004"})]


def test_an_empty_csv_yields_no_rows():
    assert list(CsvImporter().rows(b"")) == []


def workbook_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_sheet_yields_each_row_by_line_and_header_as_text():
    content = workbook_bytes([
        HEADERS,
        ["康早新", 13807310004, "否", "水电工", "水电、疏通下水道", "单元长", "金昌花园", "2栋", "1单元",
         "JY-0004", datetime(2023, 1, 1), date(2025, 12, 31)],
    ])

    rows = list(XlsxImporter().rows(content))

    assert rows == [(2, dict(zip(HEADERS, KANG, strict=True)))]


def test_an_xlsx_sheet_writes_whole_floats_as_integers_and_empty_cells_as_empty_text():
    content = workbook_bytes([["姓名", "手机号", "职业", "单元"], [" 苏瑞安 ", 13807310005.0, None, "1单元"]])

    rows = list(XlsxImporter().rows(content))

    assert rows == [(2, {"姓名": "苏瑞安", "手机号": "13807310005", "职业": "", "单元": "1单元"})]


def test_an_xlsx_sheet_skips_empty_rows_but_keeps_counting_lines():
    content = workbook_bytes([["姓名", "手机号"], [None, None], ["康早新", "13807310004"]])

    rows = list(XlsxImporter().rows(content))

    assert rows == [(3, {"姓名": "康早新", "手机号": "13807310004"})]


def test_normalise_maps_chinese_headers_to_fields_and_drops_empty_cells():
    raw = dict(zip(HEADERS, SU, strict=True))

    row = normalise(raw)

    assert row == {"name": "苏瑞安", "phone": "13807310005", "party_member": "是", "skills": ["园艺"],
                   "role": "单元长", "estate": "金昌花园", "building": "1栋", "unit": "1单元",
                   "certificate_no": "JY-0005", "term_start": "2023-01-01", "term_end": "2025-12-31"}


def test_normalise_accepts_header_aliases_and_ignores_unknown_headers():
    row = normalise({"联系电话": "13807310004", "角色": "楼栋长", "备注": "老党员", "巷": "红花坡巷"})

    assert row == {"phone": "13807310004", "role": "楼栋长", "estate": "红花坡巷"}


def test_normalise_splits_skills_and_interests_on_chinese_and_latin_separators():
    row = normalise({"特长": "水电、疏通下水道，调解,园艺 书法", "兴趣爱好": "象棋"})

    assert row == {"skills": ["水电", "疏通下水道", "调解", "园艺", "书法"], "interests": ["象棋"]}


def test_a_location_key_leaves_out_missing_names():
    assert location_key(["金昌花园", "2栋", "1单元"]) == ("金昌花园", "2栋", "1单元")
    assert location_key(["金昌花园", None, ""]) == ("金昌花园",)
    assert location_key([None, None, None]) == ()


def node(unit_id: str, name: str, level: str, ancestors: list[str], **extra) -> dict:
    return {"_id": unit_id, "name": name, "level": level, "ancestors": ancestors, **extra}


SUBTREE = [
    node("unit_jiayuan", "嘉园社区", "community", ["unit_yuhua", "unit_zjt"]),
    node("unit_grid1", "第一网格", "grid", ["unit_yuhua", "unit_zjt", "unit_jiayuan"]),
    node("unit_hhp", "红花坡片区", "zone", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1"]),
    node("unit_jc", "金昌花园", "estate", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp"]),
    node("unit_jc2", "2栋", "building", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp",
                                         "unit_jc"]),
    node("unit_jc2_1", "1单元", "unit", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp",
                                         "unit_jc", "unit_jc2"]),
    node("unit_jc2_2", "2单元", "unit", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp",
                                         "unit_jc", "unit_jc2"], retired=True),
    node("unit_md", "名都凯旋城", "estate", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp"]),
    node("unit_md2", "2栋", "building", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp",
                                         "unit_md"]),
    node("unit_hhx", "红花坡巷", "alley", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1"]),
    node("unit_hhx_h", "101户", "household", ["unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhx"]),
]


def test_the_unit_index_finds_estates_buildings_and_units_by_their_names_below_the_community():
    index = unit_index(SUBTREE)

    assert {key: unit["_id"] for key, unit in index.items()} == {
        ("金昌花园",): "unit_jc",
        ("金昌花园", "2栋"): "unit_jc2",
        ("金昌花园", "2栋", "1单元"): "unit_jc2_1",
        ("名都凯旋城",): "unit_md",
        ("名都凯旋城", "2栋"): "unit_md2",
        ("红花坡巷",): "unit_hhx",
    }


def test_a_row_location_looks_up_its_unit_in_the_index():
    index = unit_index(SUBTREE)
    row = normalise(dict(zip(HEADERS, KANG, strict=True)))

    unit = index.get(location_key(row.get(level) for level in ("estate", "building", "unit")))

    assert unit["_id"] == "unit_jc2_1"

"""The spreadsheet platform: a 12345 work-order export (工单导出) read into ticket, survey, rework
and unreadable records, however the office wrote its times, phones and headers."""

import io
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook

from services.hotline.platform import Call, ManualEntry, PlatformMisconfigured, PlatformRefused
from services.hotline.platforms.spreadsheet import SpreadsheetPlatform
from services.hotline.schemas import read_record
from tests.hotline_export import AIR_CONDITIONER, AIR_CONDITIONER_NO, TITLE, hotline_export

HEADERS = ["序号", "工单编号", "来电时间", "联系电话", "诉求内容", "办理时限"]
KANG = [1, "202612010002", "2026-12-01 09:12", "13807310004", "金昌花园2栋下水道堵塞", "2026-12-04 17:30"]
SURVEY_HEADERS = [*HEADERS, "回访时间", "回访结果", "是否解决", "回访意见"]
NINE_TWELVE = "2026-12-01T09:12:00+08:00"
EXCEL_DAY = (datetime(2026, 12, 1, 9, 12) - datetime(1899, 12, 30)) / timedelta(days=1)  # 46357.38333…
OLD_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)


def workbook(*rows: list, headers: list = HEADERS, above: tuple = ([TITLE], [])) -> bytes:
    """An export: the rows `above` (a title and a blank row), the header, then `rows`."""
    sheet = Workbook()
    for row in [*above, headers, *rows]:
        sheet.active.append(row)
    buffer = io.BytesIO()
    sheet.save(buffer)
    return buffer.getvalue()


def read(content: bytes, **settings) -> list[dict]:
    return SpreadsheetPlatform("changsha", settings).read_upload(content).records


def one_ticket(*cells: object, headers: list = HEADERS, **settings) -> dict:
    """The one record of an export whose one row is KANG's cells, its last ones replaced by `cells`."""
    [record] = read(workbook([*KANG[: len(headers) - len(cells)], *cells], headers=headers), **settings)
    return record


def of_kind(records: list[dict], kind: str) -> list[dict]:
    return [record for record in records if record["kind"] == kind]


def test_the_export_reads_to_exactly_the_tickets_surveys_and_reworks_it_holds():
    export = hotline_export()

    page = SpreadsheetPlatform("changsha", {}).read_upload(export.content)

    assert (page.cursor, page.more) == (None, False)
    assert Counter(r["kind"] for r in page.records) == Counter(export.counts)
    assert export.counts["ticket"] == 300 and export.counts["survey"] > 50 and export.counts["rework"] > 10
    assert of_kind(page.records, "ticket") == export.tickets
    assert of_kind(page.records, "survey") == export.surveys
    assert of_kind(page.records, "rework") == export.reworks


def test_every_record_of_the_export_passes_the_syncs_check():
    records = read(hotline_export().content)

    checked = [read_record(record) for record in records]

    assert len(checked) == len(records)


def test_a_survey_and_a_rework_follow_their_ticket():
    records = read(hotline_export().content)

    for position, record in enumerate(records):
        if record["kind"] != "ticket":
            before = [r for r in records[:position] if r["kind"] == "ticket"][-1]
            assert before["ticket_no"] == record["ticket_no"]


def test_the_air_conditioner_complaint_arrives_word_for_word():
    records = read(hotline_export().content)

    [ticket] = [r for r in records if r["ticket_no"] == AIR_CONDITIONER_NO]
    assert "空调外机距住宅仅3米，噪音大、热风直吹" in ticket["content"] == AIR_CONDITIONER
    assert ticket["citizen"] == {"name": "刘建国", "phone": "13973152260"}
    assert (ticket["received_at"], ticket["request_type"]) == ("2026-12-01T08:47:00+08:00", "投诉")


@pytest.mark.parametrize("written", [
    "2026-12-01 09:12", "2026/12/1 9:12:00", "2026年12月1日 9时12分", "2026.12.01 09:12",
    "２０２６-１２-０１ ０９:１２", " 2026-12-01  09:12 ", datetime(2026, 12, 1, 9, 12), EXCEL_DAY])
def test_a_time_is_read_in_shanghai_as_offices_write_it(written):
    ticket = one_ticket(written, KANG[3], KANG[4], None)

    assert ticket["received_at"] == NINE_TWELVE


def test_seconds_are_kept_when_written():
    assert one_ticket("2026年12月1日 9时12分30秒", *KANG[3:])["received_at"] == "2026-12-01T09:12:30+08:00"


@pytest.mark.parametrize("written", ["2026-12-08", "2026年12月8日", datetime(2026, 12, 8), 46364])
def test_a_deadline_without_a_time_of_day_ends_with_that_day(written):
    assert one_ticket(written)["deadline"] == "2026-12-08T23:59:59+08:00"


def test_a_blank_deadline_is_none():
    assert one_ticket(None)["deadline"] is None


def test_a_blank_phone_is_none_and_a_blank_urgency_is_the_ordinary_one():
    ticket = one_ticket(None, "", headers=[*HEADERS[:3], "紧急程度", "联系电话"])

    assert (ticket["citizen"]["phone"], ticket["urgency"]) == (None, "一般")


@pytest.mark.parametrize("written", [
    "13807310011", "１３８０７３１００１１", "138 0731 0011", "138-0731-0011", "+86 138 0731 0011", "+8613807310011",
    "0086-13807310011", "（+86）138-0731-0011", 13807310011])
def test_a_mobile_number_is_read_to_its_eleven_digits(written):
    assert one_ticket(written, *KANG[4:])["citizen"]["phone"] == "13807310011"


@pytest.mark.parametrize("written", ["0731-84125566", "1380731001", "已停机"])
def test_a_phone_that_is_no_mobile_number_is_left_as_written_for_the_sync_to_judge(written):
    assert one_ticket(written, *KANG[4:])["citizen"]["phone"] == written


def test_malformed_rows_become_unreadable_with_their_line_and_field_and_the_others_still_come():
    export = hotline_export(malformed=6)

    records = read(export.content)

    unreadable = of_kind(records, "unreadable")
    assert Counter(r["kind"] for r in records) == Counter(export.counts)
    assert {r["line"]: r["reason"].split(":")[0] for r in unreadable} == export.unreadable
    assert all(r["reason"].endswith(f"第{r['line']}行") for r in unreadable)
    assert sorted(export.unreadable.values()) == ["received_at"] * 3 + ["ticket_no"] * 3
    assert of_kind(records, "ticket") == export.tickets
    assert of_kind(records, "survey") == export.surveys


def test_an_unreadable_row_keeps_its_cells_as_text():
    content = workbook(KANG, [2, "202612010003", "昨天下午", 13807310011, "楼道灯坏了", None])

    [ticket, unreadable] = read(content)

    assert ticket["ticket_no"] == "202612010002"
    assert unreadable == {"kind": "unreadable", "line": 5,
                          "raw": {"序号": "2", "工单编号": "202612010003", "来电时间": "昨天下午",
                                  "联系电话": "13807310011", "诉求内容": "楼道灯坏了", "办理时限": ""},
                          "reason": unreadable["reason"]}
    assert unreadable["reason"].startswith("received_at: 来电时间 “昨天下午”")


def test_a_survey_that_cannot_be_read_leaves_its_ticket_and_is_unreadable_itself():
    content = workbook([*KANG, "2026-12-03 10:00", "很好", "", ""], headers=SURVEY_HEADERS)

    [ticket, survey] = read(content)

    assert ticket["kind"] == "ticket"
    assert (survey["kind"], survey["line"]) == ("unreadable", 4)
    assert survey["reason"].startswith("survey.result: 回访结果 “很好”")


@pytest.mark.parametrize(("result", "resolved", "satisfied", "counts_resolved"), [
    ("满意", "", True, True), ("基本满意", "", True, True), ("不满意", "", False, False),
    ("满意", "未解决", True, False), ("不满意", "已解决", False, True), ("不满意", True, False, True)])
def test_a_survey_counts_as_resolved_unless_it_says_otherwise(result, resolved, satisfied, counts_resolved):
    content = workbook([*KANG, "2026/12/3 10:00:00", result, resolved, "办得快"], headers=SURVEY_HEADERS)

    [_, survey] = read(content)

    assert survey == {"kind": "survey", "update_id": "202612010002:survey:2026-12-03T10:00:00+08:00",
                      "ticket_no": "202612010002", "at": "2026-12-03T10:00:00+08:00", "satisfied": satisfied,
                      "resolved": counts_resolved, "comment": "办得快"}


def test_a_ticket_not_followed_up_gives_no_survey():
    content = workbook([*KANG, None, "未回访", None, None], headers=SURVEY_HEADERS)

    assert [r["kind"] for r in read(content)] == ["ticket"]


def test_a_rework_order_is_read_with_its_reason():
    content = workbook([*KANG, "2026年12月5日 14时00分", "市民不满意"], headers=[*HEADERS, "重办时间", "重办原因"])

    [_, rework] = read(content)

    assert rework == {"kind": "rework", "update_id": "202612010002:rework:2026-12-05T14:00:00+08:00",
                      "ticket_no": "202612010002", "at": "2026-12-05T14:00:00+08:00", "reason": "市民不满意"}


def test_blank_rows_and_rows_with_only_a_sequence_number_are_skipped():
    content = workbook([], KANG, [None, " ", None], [2], [3, None, ""], above=([TITLE], [], []))

    assert [r["ticket_no"] for r in read(content)] == ["202612010002"]


def zip_without_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "工单")
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "not an XLSX workbook"), ("工单编号,来电时间\n".encode("gb18030"), "not an XLSX workbook"),
    (zip_without_a_workbook(), "not an XLSX workbook"), (OLD_XLS, "save it as .xlsx")])
def test_a_file_that_is_not_an_xlsx_workbook_is_refused(content, reason):
    with pytest.raises(PlatformRefused, match=reason):
        read(content)


@pytest.mark.parametrize(("headers", "above"), [
    (["编号", "时间", "内容"], ([TITLE], [])),  # nothing the platform's exports call their columns
    (HEADERS, tuple([f"填表说明第{n}条"] for n in range(1, 21)))])  # the header on line 21
def test_a_sheet_without_a_header_in_its_first_20_rows_is_refused(headers, above):
    content = workbook(KANG, headers=headers, above=above)

    with pytest.raises(PlatformRefused, match="no header row: expected 工单编号"):
        read(content)


def test_a_header_row_without_a_ticket_number_column_is_refused():
    content = workbook(KANG[1:], headers=["来电时间", "联系电话", "诉求内容", "办理时限"])

    with pytest.raises(PlatformRefused, match="line 3.*工单编号/工单号/受理编号"):
        read(content)


def test_headers_with_spaces_asterisks_and_bracketed_notes_still_match():
    headers = ["序 号", " 工单\u3000编号 ", "受理时间（北京时间）", "来电号码(手机)", "*问题描述", "办结时限（工作日）"]

    ticket = one_ticket(headers=headers)

    assert (ticket["ticket_no"], ticket["received_at"]) == ("202612010002", NINE_TWELVE)
    assert (ticket["citizen"]["phone"], ticket["content"]) == ("13807310004", "金昌花园2栋下水道堵塞")
    assert ticket["deadline"] == "2026-12-04T17:30:00+08:00"


def test_a_columns_setting_adds_a_header_name():
    content = workbook(KANG, headers=["序号", "热线单号", *HEADERS[2:]])

    with pytest.raises(PlatformRefused):
        read(content)
    [ticket] = read(content, columns={"ticket_no": ["热线单号"]})
    assert ticket["ticket_no"] == "202612010002"


@pytest.mark.parametrize(("settings", "key"), [
    ({"columns": "热线单号"}, "columns"), ({"columns": {"hotline_no": ["热线单号"]}}, "columns"),
    ({"columns": {"ticket_no": "热线单号"}}, "columns"), ({"columns": {"ticket_no": [" "]}}, "columns"),
    ({"columns": {"content": ["地址"]}}, "columns"), ({"max_rows": 0}, "max_rows"), ({"max_rows": "many"}, "max_rows"),
    ({"max_rows": True}, "max_rows"), ({"area_code": ""}, "area_code"), ({"area_code": ["430111"]}, "area_code")])
def test_bad_settings_are_refused_naming_the_key(settings, key):
    with pytest.raises(PlatformMisconfigured) as refused:
        SpreadsheetPlatform("changsha", settings)

    assert refused.value.field == f"PLATFORMS.changsha.{key}"


def test_the_area_code_comes_from_the_settings_when_the_sheet_has_none():
    assert one_ticket(area_code=430111005001)["area_code"] == "430111005001"
    assert one_ticket("", headers=[*HEADERS, "区域编码"], area_code="430111005001")["area_code"] == "430111005001"
    assert one_ticket("430111005002", headers=[*HEADERS, "区域编码"], area_code="1")["area_code"] == "430111005002"


def test_an_upload_longer_than_max_rows_is_refused():
    rows = [[n, f"20261201000{n}", *KANG[2:]] for n in range(1, 4)]

    assert len(read(workbook(*rows), max_rows="3")) == 3
    with pytest.raises(PlatformRefused, match="over 2 rows"):
        read(workbook(*rows), max_rows=2)


@pytest.mark.parametrize(("headers", "written", "revision"), [
    ([*HEADERS, "版本"], 3, 3), ([*HEADERS, "修改次数"], "2", 3), ([*HEADERS, "修改次数"], 0, 1), (HEADERS, None, 1),
    ([*HEADERS, "版本"], None, 1)])
def test_the_revision_is_the_version_or_one_more_than_the_changes(headers, written, revision):
    cells = [written] if len(headers) > len(HEADERS) else []

    assert one_ticket(*cells, headers=headers)["revision"] == revision


@pytest.mark.parametrize("method", ["sign", "return_ticket", "extend", "reply"])
def test_outbound_calls_are_entered_by_hand(method):
    call = Call(key="k-1", ticket_no="202612010002", at=datetime(2026, 12, 1, 10, tzinfo=UTC), reason="不属于本社区")

    with pytest.raises(ManualEntry):
        getattr(SpreadsheetPlatform("changsha", {}), method)(call)


def test_it_is_an_uploading_platform_that_neither_fetches_nor_reports_ticket_states():
    platform = SpreadsheetPlatform("changsha", {})

    assert (platform.name, platform.pulls) == ("spreadsheet", False)
    with pytest.raises(ManualEntry):
        platform.fetch(None, 100)
    with pytest.raises(ManualEntry):
        platform.tickets(None)

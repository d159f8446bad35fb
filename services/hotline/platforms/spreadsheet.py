"""The 12345 platform of a city without an API: a clerk uploads its work-order export (工单导出,
XLSX) and each data row becomes a ticket record, followed by its follow-up call (回访) and rework
order (重办) when the row has them. Every outbound call is entered on the platform by hand."""

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from openpyxl import load_workbook

from services.hotline.platform import Call, ManualEntry, Page, PlatformMisconfigured, PlatformRefused
from services.hotline.platforms import cells
from services.hotline.platforms.cells import CellError, Header, text_of

MAX_COLUMNS = 100
OLD_XLS = b"\xd0\xcf\x11\xe0"  # the OLE2 signature of an .xls (Excel 97-2003) file
NO_SURVEY = ("", "未回访")
DEFAULT_URGENCY = "一般"  # what an export without 紧急程度 means
REQUIRED = object()
Line = tuple[int, tuple]


class Unreadable(Exception):
    """A cell the row's record cannot be made without; the message names the field and why."""

    def __init__(self, field: str, why: str):
        super().__init__(f"{field}: {why}")


@dataclass(frozen=True)
class Row:
    """A data row of the export: its sheet line (as the clerk sees it) and its cells."""

    line: int
    cells: tuple
    header: Header

    def text(self, field: str) -> str:
        position = self.header.columns.get(field)
        return text_of(self.cells[position]) if position is not None and position < len(self.cells) else ""

    def read(self, field: str, reader: Callable, default: object = REQUIRED):
        """The field's cell read by `reader`; `default` when blank, `Unreadable` if it is required."""
        label = self.header.label(field)
        if not self.text(field):
            if default is REQUIRED:
                raise Unreadable(field, f"{label} 为空 (empty)")
            return default
        try:
            return reader(self.cells[self.header.columns[field]])
        except CellError as exc:
            raise Unreadable(field, f"{label} {exc}") from None

    def unreadable(self, problem: Unreadable) -> dict:
        raw = {name: text_of(self.cells[i]) if i < len(self.cells) else "" for i, name in self.header.written.items()}
        return {"kind": "unreadable", "raw": raw, "reason": f"{problem}, 第{self.line}行", "line": self.line}


class SpreadsheetPlatform:
    """Settings: `columns` (field → more header names), `area_code` (for a sheet without that
    column, or a blank cell in it), `max_rows` (data rows an upload may have, 20000)."""

    name = "spreadsheet"
    pulls = False

    def __init__(self, platform: str, settings: dict):
        self.platform = platform
        try:
            self.fields = cells.with_extra_headers(settings.get("columns") or {})
        except ValueError as exc:
            raise PlatformMisconfigured(platform, "columns", str(exc)) from None
        self.area_code = _area_code(platform, settings.get("area_code"))
        self.max_rows = _max_rows(platform, settings.get("max_rows", 20_000))

    def read_upload(self, content: bytes) -> Page:
        lines = _lines(content, self.max_rows + cells.SCANNED_ROWS + 1)
        try:
            header = cells.find_header(lines, self.fields)
        except CellError as exc:
            raise PlatformRefused(str(exc)) from None
        if header is None:
            raise PlatformRefused(f"前{cells.SCANNED_ROWS}行中没有表头 (no header row: expected 工单编号, 来电时间, "
                                  f"诉求内容 … in the first {cells.SCANNED_ROWS} rows)")
        rows = [Row(line, values, header) for line, values in lines if line > header.line]
        if len(rows) > self.max_rows:
            raise PlatformRefused(f"超过{self.max_rows}行，请分批导出 (over {self.max_rows} rows: split the export)")
        sequence = header.columns.get("sequence")
        wanted = (row for row in rows if any(text_of(c) for i, c in enumerate(row.cells) if i != sequence))
        return Page([record for row in wanted for record in self._records(row)], cursor=None, more=False)

    def _records(self, row: Row) -> list[dict]:
        try:
            ticket = self._ticket(row)
        except Unreadable as problem:
            return [row.unreadable(problem)]
        records = [ticket]
        for update in (_survey, _rework):
            try:
                records.append(update(row, ticket["ticket_no"]))
            except Unreadable as problem:
                records.append(row.unreadable(problem))
        return [record for record in records if record]

    def _ticket(self, row: Row) -> dict:
        changes = row.read("changes", cells.read_whole, 0)
        citizen = {"name": row.text("citizen.name"), "phone": row.read("citizen.phone", cells.read_phone, None)}
        return {"kind": "ticket", "ticket_no": row.read("ticket_no", text_of),
                "revision": row.read("revision", cells.read_whole, changes + 1),
                "received_at": row.read("received_at", cells.read_moment),
                "request_type": row.text("request_type"), "urgency": row.text("urgency") or DEFAULT_URGENCY,
                "citizen": citizen, "content": row.text("content"), "address": row.text("address"),
                "category": row.text("category"), "area_code": row.text("area_code") or self.area_code,
                "deadline": row.read("deadline", cells.read_deadline, None)}

    def fetch(self, cursor: str | None, limit: int) -> Page:
        raise ManualEntry("工单由人工导出上传 (tickets arrive as an uploaded export)")

    def sign(self, call: Call) -> dict:
        raise ManualEntry("请在12345平台上签收 (sign the ticket on the platform by hand)")

    def return_ticket(self, call: Call) -> dict:
        raise ManualEntry("请在12345平台上退回 (return the ticket on the platform by hand)")

    def extend(self, call: Call) -> dict:
        raise ManualEntry("请在12345平台上申请延期 (ask for the extension on the platform by hand)")

    def reply(self, call: Call) -> dict:
        raise ManualEntry("请在12345平台上回复 (enter the reply on the platform by hand)")

    def tickets(self, since: datetime | None) -> list[dict]:
        raise ManualEntry("导出不含工单状态 (an export does not tell the platform's ticket states)")


def _survey(row: Row, ticket_no: str) -> dict | None:
    if row.text("survey.result") in NO_SURVEY:
        return None
    satisfied = row.read("survey.result", cells.read_satisfied)
    at = row.read("survey.at", cells.read_moment)
    return {"kind": "survey", "update_id": f"{ticket_no}:survey:{at}", "ticket_no": ticket_no, "at": at,
            "satisfied": satisfied, "resolved": row.read("survey.resolved", cells.read_resolved, satisfied),
            "comment": row.text("survey.comment")}


def _rework(row: Row, ticket_no: str) -> dict | None:
    if not (row.text("rework.at") or row.text("rework.reason")):
        return None
    at = row.read("rework.at", cells.read_moment)
    return {"kind": "rework", "update_id": f"{ticket_no}:rework:{at}", "ticket_no": ticket_no, "at": at,
            "reason": row.text("rework.reason")}


def _area_code(platform: str, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise PlatformMisconfigured(platform, "area_code", "must be the platform's code for the community")
    return str(value).strip()


def _max_rows(platform: str, value: object) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PlatformMisconfigured(platform, "max_rows", "must be a whole number above 0")
    return value


def _lines(content: bytes, most: int) -> list[Line]:
    """The first sheet's non-blank rows (at most `most`), each with its sheet line."""
    if content.startswith(OLD_XLS):
        raise PlatformRefused("旧版 .xls 文件，请另存为 .xlsx (an Excel 97-2003 .xls file: save it as .xlsx)")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # any parser failure is the file's fault
        raise PlatformRefused(f"不是 XLSX 工作簿 (not an XLSX workbook): {exc}") from None
    try:
        rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1)
        return list(itertools.islice(((n, values) for n, values in rows if any(text_of(v) for v in values)), most))
    except Exception as exc:
        raise PlatformRefused(f"XLSX 工作簿无法读取 (the XLSX workbook cannot be read): {exc}") from None
    finally:
        workbook.close()

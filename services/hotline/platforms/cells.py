"""Cells of a 12345 work-order export (工单导出) read into record values: the header row found by
its Chinese column names, times as offices write them, phone numbers. Plain Python: a reader
returns the value or raises `CellError` saying why."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.clock import SHANGHAI

#: sheet field → the headers that name it, the usual one first (`citizen.name` is the record's
#: `citizen["name"]`; `changes` counts edits, revision = changes + 1).
ALIASES: dict[str, tuple[str, ...]] = {
    "ticket_no": ("工单编号", "工单号", "受理编号"),
    "received_at": ("来电时间", "受理时间", "登记时间"),
    "request_type": ("诉求类型", "来电类别", "工单类型"),
    "urgency": ("紧急程度", "缓急程度"),
    "citizen.name": ("来电人", "联系人", "市民姓名"),
    "citizen.phone": ("联系电话", "来电号码"),
    "content": ("诉求内容", "来电内容", "问题描述"),
    "address": ("事发地址", "诉求地址", "地址"),
    "category": ("问题分类", "诉求分类", "业务分类"),
    "area_code": ("承办单位编码", "区域编码"),
    "deadline": ("办理时限", "办结时限", "截止时间"),
    "revision": ("版本", "版本号"),
    "changes": ("修改次数",),
    "survey.result": ("回访结果", "满意度"),
    "survey.at": ("回访时间",),
    "survey.resolved": ("是否解决",),
    "survey.comment": ("回访意见",),
    "rework.reason": ("重办原因",),
    "rework.at": ("重办时间",),
    "sequence": ("序号",),
}
REQUIRED = ("ticket_no", "received_at")  # a header row without these is refused
SCANNED_ROWS = 20  # the header is looked for in the sheet's first rows
HALF_WIDTH = str.maketrans("０１２３４５６７８９＋－．／：（）", "0123456789+-./:()")
EXCEL_EPOCH = datetime(1899, 12, 30)
SERIALS = (20_000.0, 80_000.0)  # Excel day numbers from 1954 to 2119
MOMENT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
                    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*分?(?:\s*:?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?")
MOBILE = re.compile(r"1\d{10}")
SATISFACTION = {"非常满意": True, "满意": True, "基本满意": True, "不满意": False, "非常不满意": False}
RESOLUTION = {"已解决": True, "是": True, "未解决": False, "否": False}


class CellError(ValueError):
    """A cell that cannot be read as its column's value; the message says why."""


def text_of(cell: object) -> str:
    """A cell as the clerk sees it, trimmed: a whole number without `.0`, an empty cell as ''."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return "" if cell is None else str(cell).strip()


def header_key(cell: object) -> str:
    """A header as compared: half-width, without spaces, asterisks or bracketed notes (（必填）)."""
    text = text_of(cell).translate(HALF_WIDTH)
    return re.sub(r"[\s*＊:]|\([^)]*\)", "", text)


@dataclass(frozen=True)
class Header:
    """The header row: its sheet line, field → column, and every column's header as written."""

    line: int
    columns: dict[str, int]
    written: dict[int, str]

    def label(self, field: str) -> str:
        position = self.columns.get(field)
        return self.written[position] if position is not None else ALIASES[field][0]


def with_extra_headers(extra: object) -> dict[str, str]:
    """Header key → field, the defaults plus `extra` (field → more headers); `ValueError` why not."""
    if not isinstance(extra, Mapping):
        raise ValueError("must map a field to a list of header names")
    fields = {header_key(a): f for f, aliases in ALIASES.items() for a in aliases}
    for field, names in extra.items():
        if field not in ALIASES:
            raise ValueError(f"unknown field {field!r} (one of {', '.join(ALIASES)})")
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) and header_key(n) for n in names):
            raise ValueError(f"{field}: must be a list of header names")
        for name in names:
            if fields.setdefault(header_key(name), field) != field:
                raise ValueError(f"{field}: {name} already names {fields[header_key(name)]}")
    return fields


def find_header(lines: Iterable[tuple[int, Sequence[object]]], fields: Mapping[str, str]) -> Header | None:
    """The first row among the first `SCANNED_ROWS` naming at least three known columns (of two
    columns naming one field, the first counts); `CellError` if it lacks a `REQUIRED` one."""
    for line, cells in lines:
        if line > SCANNED_ROWS:
            break
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            columns.setdefault(fields.get(header_key(cell), ""), position)
        columns.pop("", None)
        if len(columns) >= 3:
            missing = ["/".join(ALIASES[f]) for f in REQUIRED if f not in columns]
            if missing:
                raise CellError(f"第{line}行表头缺少列 (the header row, line {line}, lacks) {'、'.join(missing)}")
            return Header(line, columns, {i: text_of(c) for i, c in enumerate(cells) if text_of(c)})
    return None


def read_moment(cell: object, day_end: bool = False) -> str:
    """A time in Asia/Shanghai as ISO 8601 (`+08:00`): a date cell, an Excel day number, or text
    such as `2026-12-01 09:12`, `2026/12/1 9:12:00`, `2026年12月1日 9时12分`, `2026.12.01 09:12`.
    A day without a time of day is its start, or with `day_end` its last second (a deadline)."""
    if isinstance(cell, datetime):  # openpyxl reads date cells as naive: the office's local time
        moment = cell
    elif isinstance(cell, date):
        moment = datetime.combine(cell, time())
    else:
        text = text_of(cell).translate(HALF_WIDTH)
        moment = _serial(cell, text) if re.fullmatch(r"\d{5}(\.\d+)?", text) else _written(text)
    if day_end and moment.time() == time():
        moment += timedelta(days=1, seconds=-1)
    return moment.replace(tzinfo=SHANGHAI).isoformat(timespec="seconds")


def _serial(cell: object, text: str) -> datetime:
    days = float(cell if isinstance(cell, int | float) else text)
    if not SERIALS[0] <= days < SERIALS[1]:
        raise CellError(f"“{text}” 不是日期时间 (not an Excel date number)")
    return EXCEL_EPOCH + timedelta(seconds=round(days * 86_400))


def _written(text: str) -> datetime:
    found = MOMENT.fullmatch(text)
    if not found:
        raise CellError(f"“{text}” 不是日期时间 (not a date and time: write 2026-12-01 09:12 or 2026年12月1日 9时12分)")
    try:
        return datetime(*(int(g or 0) for g in found.groups()))
    except ValueError:
        raise CellError(f"“{text}” 没有这个时间 (no such date or time)") from None


def read_phone(cell: object) -> str:
    """An 11-digit mobile number from full-width digits, spaces, dashes or a `+86` prefix; any
    other phone (a landline, a typo) as written, for the sync to judge."""
    written = text_of(cell)
    digits = re.sub(r"[\s\-()]", "", written.translate(HALF_WIDTH))
    digits = re.sub(r"^(?:\+86|0086|86)(?=1\d{10}$)", "", digits)
    return digits if MOBILE.fullmatch(digits) else written


def read_whole(cell: object) -> int:
    text = text_of(cell).translate(HALF_WIDTH)
    if not re.fullmatch(r"[0-9]+", text):
        raise CellError(f"“{text}” 不是整数 (not a whole number)")
    return int(text)


def read_deadline(cell: object) -> str:
    return read_moment(cell, day_end=True)


def read_satisfied(cell: object) -> bool:
    return _choice(SATISFACTION, cell)


def read_resolved(cell: object) -> bool:
    return cell if isinstance(cell, bool) else _choice(RESOLUTION, cell)


def _choice(choices: Mapping[str, bool], cell: object) -> bool:
    text = text_of(cell)
    if text not in choices:
        raise CellError(f"“{text}” 不是 (is not one of) {'/'.join(choices)}")
    return choices[text]

"""Roster workbook headers: the Chinese column names offices use (with their aliases), and
finding the header row below a title such as "左家塘街道2026年楼栋长花名册" and blank rows.

Plain Python: a header row is a list of cells, the result maps column positions to fields.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: field → the headers that name it, the usual one first.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字"),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "电话", "电话号码", "联系方式"),
    "id_number": ("身份证号", "身份证号码", "身份证"),
    "party_member": ("是否党员", "党员", "政治面貌"),
    "occupation": ("职业",),
    "skills": ("特长", "技能", "专长"),
    "interests": ("兴趣爱好", "爱好", "兴趣"),
    "role": ("职务", "角色", "岗位", "担任职务"),
    "community": ("社区", "所属社区", "社区名称"),
    "grid": ("网格", "所属网格", "网格名称"),
    "zone": ("片区", "所属片区"),
    "estate": ("小区", "所属小区", "小区名称"),
    "alley": ("巷", "街巷", "巷道"),
    "building": ("楼栋", "栋", "楼号", "栋号"),
    "unit": ("单元", "单元号"),
    "certificate_no": ("聘书编号", "聘书号"),
    "work_id": ("工作证号", "工作证编号"),
    "term_start": ("任期开始", "任职时间", "任期起", "聘任时间", "开始时间"),
    "term_end": ("任期结束", "任期止", "离任时间", "结束时间"),
}
FIELD_OF = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
LABELS = {field: aliases[0] for field, aliases in ALIASES.items()}
REQUIRED = ("name", "phone", "role")
SCANNED_ROWS = 30  # a header further down than this is not looked for


@dataclass(frozen=True)
class Header:
    """The header row: its sheet line, field → column position, field → the header as written."""

    line: int
    columns: dict[str, int]
    labels: dict[str, str]

    def label(self, field: str) -> str:
        return self.labels.get(field) or LABELS.get(field, field)


class HeaderNotFound(ValueError):
    """No header row, or one without a required column; the message says which."""


def field_of(header: object) -> str | None:
    """The field a header names: spaces, asterisks and bracketed notes such as （必填） ignored."""
    text = re.sub(r"[\s*＊]|[(（][^)）]*[)）]", "", str(header or ""))
    return FIELD_OF.get(text)


def read_header(line: int, cells: Sequence[object]) -> Header:
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for position, cell in enumerate(cells):
        field = field_of(cell)
        if field and field not in columns:  # of two columns naming one field, the first counts
            columns[field] = position
            labels[field] = str(cell).strip()
    return Header(line, columns, labels)


def find_header(lines: Iterable[tuple[int, Sequence[object]]]) -> Header:
    """The first of the first rows that names at least three known columns; it must name
    姓名, a phone column and 职务."""
    for count, (line, cells) in enumerate(lines):
        if count >= SCANNED_ROWS:
            break
        header = read_header(line, cells)
        if len(header.columns) >= 3:
            missing = [LABELS[f] for f in REQUIRED if f not in header.columns]
            if missing:
                raise HeaderNotFound(f"the header row (line {line}) has no column {'、'.join(missing)}")
            return header
    raise HeaderNotFound(f"no header row (姓名, 手机号, 职务 …) in the first {SCANNED_ROWS} rows")

"""A street office's roster workbook, made for tests: 东湖街道's five communities, 45 grids, estate
names that repeat in every grid (幸福小区), a title and a blank row above the header, dates and
phones written every way offices write them, and a handful of rows with several problems each.

`street_workbook()` gives the XLSX bytes and what each row should come to (`RowPlan`)."""

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook

DISTRICT, STREET = "雨花区", "东湖街道"
TITLE = f"{STREET}2026年网格长、楼栋长、单元长花名册"
HEADERS = ["序号", "姓名", "联系电话", "性别", "是否党员", "职务", "所属社区", "所属网格", "片区", "小区", "巷",
           "楼栋", "单元", "聘书编号", "任职时间", "任期结束", "备注"]
FIELDS = ["no", "name", "phone", "sex", "party", "role", "community", "grid", "zone", "estate", "alley",
          "building", "unit", "certificate", "term_start", "term_end", "note"]
ESTATE_LEVELS = ["grid", "estate", "building", "unit"]
#: community → its levels below the community (光明社区 has zones, 老街社区 alleys: "格+巷、格+楼栋")
COMMUNITIES = {"幸福社区": ESTATE_LEVELS, "和平社区": ESTATE_LEVELS, "光明社区": ["grid", "zone", *ESTATE_LEVELS[1:]],
               "友谊社区": ESTATE_LEVELS, "老街社区": ["grid", "alley", "building"]}
GRIDS_PER_COMMUNITY = 9
OTHER_ESTATES = ["金桂苑", "银杏苑", "丹桂苑", "紫薇苑", "玉兰苑", "海棠苑", "芙蓉苑", "梧桐苑", "香樟苑"]
START = date(2024, 3, 1)
# how offices write 2024-03-01, and 2027-02-28
STARTS = ["2024年3月", "2024年3月1日", "2024/3/1", "2024.03.01", "2024-03-01", "20240301", 45352,
          datetime(2024, 3, 1)]
ENDS = ["2027-02-28", "2027/2/28", 46446, "2027年2月28日"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
PHONES = [str, lambda p: f"{p[:3]} {p[3:7]} {p[7:]}", lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}", lambda p: f"+86 {p}",
          lambda p: f"86{p}", lambda p: p.translate(FULL_WIDTH), int]


@dataclass
class RowPlan:
    """A row as written and what it should become: `place` the names below the street,
    `problems` (header, part of the reason) for a bad row."""

    line: int
    name: str
    phone: str
    role: str
    place: list[str]
    levels: list[str]
    cells: dict = field(default_factory=dict)
    problems: set = field(default_factory=set)


def phone_written(phone: str, n: int) -> object:
    return PHONES[n % len(PHONES)](phone)


def leader_rows() -> list[tuple[str, list[tuple[str, str]]]]:
    """(role, [(level, name) below the street]) for every leader of the street, top down."""
    rows = []
    for community, levels in COMMUNITIES.items():
        top = [("community", community)]
        rows.append(("书记", top))
        for g in range(1, GRIDS_PER_COMMUNITY + 1):
            grid = [*top, ("grid", f"第{g}网格")]
            rows.append(("网格长", grid))
            if "alley" in levels:
                for alley in (f"{g}号巷", f"{g + 10}号巷"):
                    rows.append(("小巷管家", [*grid, ("alley", alley)]))
                    rows += [("楼栋长", [*grid, ("alley", alley), ("building", b)]) for b in ("1栋", "2栋")]
                continue
            if "zone" in levels:
                grid = [*grid, ("zone", f"第{g}片区")]
                rows.append(("片长", grid))
            for estate, buildings in (("幸福小区", ("1栋", "2栋")), (OTHER_ESTATES[g - 1], ("1栋",))):
                for building in buildings:
                    at = [*grid, ("estate", estate), ("building", building)]
                    rows.append(("楼栋长", at))
                    rows += [("单元长", [*at, ("unit", u)]) for u in ("1单元", "2单元")]
    return rows


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂英", "建国", "建华", "志强", "丽华", "红梅", "国庆", "玉兰", "德明", "海燕", "永红", "春生", "卫东",
         "淑珍", "金凤", "立新", "晓东", "素芳", "长青", "美玲", "宏伟", "翠花", "文军", "亚平"]
# role, place, more cells, problems: (header, part of the reason)
BAD = [
    ("保安队长", [("community", "幸福社区"), ("grid", "第1网格"), ("estate", "幸福小区"), ("building", "1栋"),
              ("unit", "1单元")],
     {"phone": "1380000"}, {("联系电话", "11-digit"), ("职务", "unknown role")}),
    ("单元长", [("community", "和平社区"), ("grid", "第2网格"), ("estate", "幸福小区"), ("building", "1栋"),
             ("unit", "2单元")],
     {"name": "", "term_start": "2024-13-01"}, {("姓名", "required"), ("任职时间", "no such day")}),
    ("网格长", [("community", "光明社区"), ("grid", "第4网格"), ("zone", "第4片区"), ("estate", "幸福小区"),
             ("building", "1栋"), ("unit", "1单元")],
     {"party": "也许"}, {("职务", "a 网格长 is appointed at a 网格"), ("是否党员", "not 是 or 否")}),
    ("楼栋长", [("community", "无名社区"), ("grid", "第1网格"), ("estate", "幸福小区"), ("building", "1栋")],
     {"term_start": "2025-01-01", "term_end": "2024-12-31"},
     {("所属社区", "no such 社区"), ("任期结束", "must be after")}),
    ("楼栋长", [("community", "幸福社区"), ("grid", "第3网格"), ("alley", "3号巷"), ("building", "1栋")],
     {"phone": "0731-85550101"}, {("巷", "does not use the level 巷"), ("联系电话", "11-digit")}),
]
BAD_EVERY = 80  # a bad row after every this many good ones
BLANK_AFTER = 100  # a blank row in the middle of the data


def street_workbook() -> tuple[bytes, list[RowPlan]]:
    """The workbook and the plan of each data row, in order."""
    plans, bad = [], list(BAD)
    for n, (role, place) in enumerate(leader_rows()):
        if n and n % BAD_EVERY == 0 and bad:
            plans.append(_bad_row(len(plans), *bad.pop(0)))
        plans.append(_good_row(len(plans), role, place))
    plans += [_bad_row(len(plans), *row) for row in bad]
    book = Workbook()
    sheet = book.active
    sheet.append([TITLE])
    sheet.append([])
    sheet.append(HEADERS)
    line = 3
    for index, plan in enumerate(plans):
        if index == BLANK_AFTER:
            sheet.append([])
            line += 1
        line += 1
        plan.line = line
        sheet.append([plan.cells.get(f) for f in FIELDS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), plans


def _good_row(n: int, role: str, place: list[tuple[str, str]]) -> RowPlan:
    phone = f"139{n:08d}"
    name = f"{SURNAMES[n % len(SURNAMES)]}{GIVEN[n // len(SURNAMES) % len(GIVEN)]}"
    cells = {"no": n + 1, "name": name, "phone": phone_written(phone, n), "sex": "女" if n % 2 else "男",
             "party": "是" if n % 3 == 0 else "否", "role": role, **dict(place),
             "certificate": f"DH-{n:04d}" if n % 5 else None,
             "term_start": STARTS[n % len(STARTS)] if n % 7 else None,
             "term_end": ENDS[n % len(ENDS)] if n % 7 else None}
    return RowPlan(0, name, phone, role, [name for _, name in place], [level for level, _ in place], cells)


def _bad_row(n: int, role: str, place: list[tuple[str, str]], more: dict, problems: set) -> RowPlan:
    plan = _good_row(n, role, place)
    plan.cells.update(more)
    plan.problems = problems
    return plan


def places_to_create(plans: list[RowPlan]) -> dict[str, int]:
    """Per level, the places the good rows name below their communities (none exist yet)."""
    paths = {tuple(zip(p.levels[:d], p.place[:d], strict=True)) for p in plans if not p.problems
             for d in range(2, len(p.place) + 1)}
    counts: dict[str, int] = {}
    for path in paths:
        counts[path[-1][0]] = counts.get(path[-1][0], 0) + 1
    return counts

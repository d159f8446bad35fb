"""A city 12345 platform's work-order export (工单导出), made for tests: a title and a blank row
above the header, ~300 tickets with times and phones written every way offices write them,
follow-up calls (回访) and rework orders (重办) on some, a blank row in the middle, rows numbered
ahead at the bottom, and on request malformed rows.

`hotline_export()` gives the XLSX bytes and the records the adapter should read from them."""

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openpyxl import Workbook

from shared.clock import SHANGHAI

TITLE = "12345政务服务便民热线工单导出（2026年12月1日）"
HEADERS = ["序号", "工单编号", "来电时间", "诉求类型", "紧急程度", "来电人", "联系电话", "诉求内容", "事发地址",
           "问题分类", "承办单位编码", "办理时限", "版本", "回访时间", "回访结果", "是否解决", "回访意见", "重办时间",
           "重办原因", "备注"]
HEADER_LINE = 3
AREA_CODE = "430111005001"  # 嘉园社区, as the platform codes it
AIR_CONDITIONER_NO = "202612010001"  # the complaint every export of this community carries
AIR_CONDITIONER = ("我家住金昌花园2栋1单元102室，隔壁临街商铺的空调外机距住宅仅3米，噪音大、热风直吹，晚上无法入睡，"
                   "要求商铺移机或加装隔音设施。")
FIRST_CALL = datetime(2026, 11, 1, 8, 0)
EXCEL_EPOCH = datetime(1899, 12, 30)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
#: how offices write a time: text four ways, a date cell, an Excel day number, full-width digits
TIMES = [lambda m: f"{m:%Y-%m-%d %H:%M}", lambda m: f"{m.year}/{m.month}/{m.day} {m.hour}:{m.minute:02d}:00",
         lambda m: f"{m.year}年{m.month}月{m.day}日 {m.hour}时{m.minute}分", lambda m: f"{m:%Y.%m.%d %H:%M}",
         lambda m: m, lambda m: (m - EXCEL_EPOCH) / timedelta(days=1),
         lambda m: f"{m:%Y-%m-%d %H:%M}".translate(FULL_WIDTH)]
PHONES = [str, lambda p: p.translate(FULL_WIDTH), lambda p: f"{p[:3]} {p[3:7]} {p[7:]}",
          lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}", lambda p: f"+86 {p}", lambda p: f"+86-{p}", int]
KINDS = [("咨询", "物业服务/物业收费", "咨询小区物业费收费标准和公示情况。"),
         ("求助", "市政设施/下水道", "单元门口下水道堵塞，污水外溢，请求尽快疏通。"),
         ("投诉", "城乡建设/噪声污染", "楼上住户夜间装修噪音扰民，多次沟通无果。"),
         ("举报", "城市管理/违章搭建", "小区内有住户在楼顶违章搭建阳光房。"),
         ("建议", "城市管理/停车管理", "建议在小区门口增设非机动车停放区域。")]
SURNAMES, GIVEN = "王李张刘陈杨黄赵周吴", ["秀英", "建华", "桂兰", "志强", "丽娟", "国平", "大爷", "女士", "先生"]
ESTATES = ["嘉园社区金昌花园2栋", "嘉园社区金昌花园5栋1单元", "嘉园社区嘉园小区3栋", "嘉园社区康乐巷12号"]
RESULTS = ["满意", "满意", "基本满意", "不满意"]


@dataclass
class Export:
    """The workbook and what it holds: records by kind in sheet order, and the line and field of
    each malformed row."""

    content: bytes = b""
    tickets: list[dict] = field(default_factory=list)
    surveys: list[dict] = field(default_factory=list)
    reworks: list[dict] = field(default_factory=list)
    unreadable: dict[int, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {"ticket": len(self.tickets), "survey": len(self.surveys), "rework": len(self.reworks),
                "unreadable": len(self.unreadable)}


def iso(moment: datetime) -> str:
    return moment.replace(tzinfo=SHANGHAI).isoformat(timespec="seconds")


def hotline_export(seed: int = 12345, tickets: int = 300, malformed: int = 0) -> Export:
    """`tickets` rows (the air-conditioner complaint first), then `malformed` rows spread among
    them: alternately without a ticket number and with a 来电时间 no one can read."""
    rng, export = random.Random(seed), Export()
    rows = [_air_conditioner(export)] + [_ticket(rng, n, export) for n in range(2, tickets + 1)]
    for n in range(malformed):
        rows.insert(rng.randrange(1, len(rows)), _malformed(rng, n))
    rows.insert(len(rows) // 2, None)  # a blank row the clerk left in the middle
    sheet = Workbook()
    sheet.active.append([TITLE])
    sheet.active.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.active.append([])
    sheet.active.append(HEADERS)
    number = 0
    for line, row in enumerate(rows, start=HEADER_LINE + 1):
        if row is not None:
            number += 1
            sheet.active.append([number, *row[1:]])
            if row[0]:
                export.unreadable[line] = row[0]
        else:
            sheet.active.append([])
    for extra in range(2):  # numbered ahead, never filled in
        sheet.active.append([number + extra + 1])
    buffer = io.BytesIO()
    sheet.save(buffer)
    export.content = buffer.getvalue()
    return export


def _air_conditioner(export: Export) -> list:
    received, deadline = datetime(2026, 12, 1, 8, 47), datetime(2026, 12, 8, 17, 30)
    record = {"kind": "ticket", "ticket_no": AIR_CONDITIONER_NO, "revision": 1, "received_at": iso(received),
              "request_type": "投诉", "urgency": "一般", "citizen": {"name": "刘建国", "phone": "13973152260"},
              "content": AIR_CONDITIONER, "address": "嘉园社区金昌花园2栋临街商铺",
              "category": "城乡建设/噪声污染/商业噪声", "area_code": AREA_CODE, "deadline": iso(deadline)}
    return _row(export, record, f"{received:%Y-%m-%d %H:%M}", "139 7315 2260", f"{deadline:%Y-%m-%d %H:%M}", 1)


def _ticket(rng: random.Random, n: int, export: Export) -> list:
    received = FIRST_CALL + timedelta(minutes=n * 137 + rng.randrange(60))
    ticket_no = f"{received:%Y%m%d}{n:04d}"
    kind, category, content = rng.choice(KINDS)
    phone = "0731-84125566" if n % 50 == 0 else f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
    deadline, deadline_cell = _deadline(rng, received, n)
    revision = rng.choice([None, 1, 1, 2, 3])
    record = {"kind": "ticket", "ticket_no": ticket_no, "revision": revision or 1, "received_at": iso(received),
              "request_type": kind, "urgency": rng.choice(["一般"] * 4 + ["紧急", "特急"]),
              "citizen": {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "phone": phone}, "content": content,
              "address": rng.choice(ESTATES), "category": category, "area_code": AREA_CODE, "deadline": deadline}
    written_phone = phone if n % 50 == 0 else PHONES[n % len(PHONES)](phone)
    row = _row(export, record, TIMES[n % len(TIMES)](received), written_phone, deadline_cell, revision)
    return row + _follow_up(rng, ticket_no, received, export)


def _row(export: Export, record: dict, received: object, phone: object, deadline: object, revision: object) -> list:
    export.tickets.append(record)
    return [None, record["ticket_no"], received, record["request_type"], record["urgency"], record["citizen"]["name"],
            phone, record["content"], record["address"], record["category"], AREA_CODE, deadline, revision]


def _deadline(rng: random.Random, received: datetime, n: int) -> tuple[str | None, object]:
    due = (received + timedelta(days=rng.choice([3, 5, 15]))).replace(hour=17, minute=30)
    if n % 11 == 0:
        return None, None
    if n % 7 == 0:  # a day only: due at its end
        return iso(due.replace(hour=23, minute=59, second=59)), f"{due:%Y-%m-%d}"
    return iso(due), TIMES[(n + 3) % len(TIMES)](due)


def _follow_up(rng: random.Random, ticket_no: str, received: datetime, export: Export) -> list:
    if rng.random() > 0.35:
        return [None, "未回访" if rng.random() < 0.1 else None, None, None, None, None]
    at = received + timedelta(days=rng.randrange(2, 7), hours=rng.randrange(1, 5))
    result, resolved = rng.choice(RESULTS), rng.choice(["已解决", "未解决", ""])
    satisfied = result != "不满意"
    comment = "问题已处理，感谢社区" if satisfied else "问题没有解决，希望再处理"
    export.surveys.append({"kind": "survey", "update_id": f"{ticket_no}:survey:{iso(at)}", "ticket_no": ticket_no,
                           "at": iso(at), "satisfied": satisfied,
                           "resolved": {"已解决": True, "未解决": False}.get(resolved, satisfied), "comment": comment})
    cells = [TIMES[rng.randrange(len(TIMES))](at), result, resolved, comment, None, None]
    if not satisfied and rng.random() < 0.6:
        again, reason = at + timedelta(days=1), "市民回访不满意，要求重新办理"
        export.reworks.append({"kind": "rework", "update_id": f"{ticket_no}:rework:{iso(again)}",
                               "ticket_no": ticket_no, "at": iso(again), "reason": reason})
        cells[4:] = [TIMES[rng.randrange(len(TIMES))](again), reason]
    return cells


def _malformed(rng: random.Random, n: int) -> list:
    """[the field it fails on, the row's cells]."""
    ticket_no, received = f"20261130{9000 + n}", "2026-11-30 10:05"
    if n % 2:
        problem, received = "received_at", rng.choice(["昨天下午三点", "2026-11-31 10:05", "11月30日上午"])
    else:
        problem, ticket_no = "ticket_no", None
    return [problem, ticket_no, received, "求助", "一般", "王秀英", "13807310011", "楼道灯坏了", ESTATES[0],
            "市政设施/路灯", AREA_CODE]

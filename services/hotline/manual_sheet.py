"""Calls to enter by hand on a platform without an API, as a workbook a clerk works from."""

import io
from collections.abc import Iterable, Mapping

from openpyxl import Workbook

ACTIONS = {"sign": "签收", "reply": "办结回复", "return": "退单", "extend": "申请延期"}
COLUMNS = ["工单编号", "操作", "时间", "回复内容 / 理由", "延期（工作日）", "确认编号"]


def workbook(title: str, calls: Iterable[Mapping]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "待录入"
    sheet.append([title])
    sheet.append(COLUMNS)
    for call in calls:
        sheet.append([call["ticket_no"], ACTIONS.get(call["action"], call["action"]), call["at"],
                      call.get("result") or call.get("reason"), call.get("working_days"), call["call_id"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

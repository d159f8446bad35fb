"""The service record (志愿服务记录) as a workbook: one row per hours record, saying who did
what, when, for how long, who recorded it and who verified it, and the totals per member."""

import io
from collections.abc import Iterable, Mapping

from openpyxl import Workbook

from shared.clock import shown

RECORD_COLUMNS = ["日期", "姓名", "服务队", "任务", "计划时长（分钟）", "实际时长（分钟）", "记录人", "记录时间",
                  "核实人", "核实时间", "核实结果", "备注"]
TOTAL_COLUMNS = ["姓名", "任务数", "计划时长（分钟）", "实际时长（分钟）", "已核实时长（分钟）", "待核实"]


#: How the sheet names a signer who is neither the member nor the team's account.
ROLE_WORDS = {"system": "系统", "admin": "管理员", "secretary": "社区书记", "duty_officer": "值班人员",
              "grid_worker": "网格员", "support_team": "服务队", "volunteer": "队员"}


def signer(by: Mapping | None, record: Mapping) -> str | None:
    """Who recorded or verified a record, as a reader of the sheet knows them: the member by
    name, the team's account by the team's name, anyone else by role and account."""
    if not by:
        return None
    if by.get("who") == record["person_id"]:
        return record["name"]
    if by.get("role") == "support_team" and by.get("who") == record["team_id"]:
        return record["team_name"]
    return f"{ROLE_WORDS.get(by.get('role'), by.get('role') or '')} {by.get('who')}".strip()


def _verdict(verification: Mapping | None) -> str:
    if not verification:
        return "待核实"
    return "核实通过" if verification.get("approved") else "核实未通过"


def workbook(title: str, records: Iterable[Mapping], summary: Mapping) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "服务记录"
    sheet.append([title])
    sheet.append(RECORD_COLUMNS)
    for r in records:
        check = r.get("verification") or {}
        sheet.append([r["day"], r["name"], r["team_name"], r["task_title"], r["scheduled_minutes"],
                      r["actual_minutes"], signer(r.get("recorded_by"), r), shown(r["recorded_at"]),
                      signer(check.get("by"), r), shown(check["at"]) if check.get("at") else None,
                      _verdict(r.get("verification")), r.get("note")])
    totals = book.create_sheet("时长汇总")
    totals.append([title])
    totals.append(TOTAL_COLUMNS)
    for m in summary["members"]:
        totals.append([m["name"], m["tasks"], m["scheduled_minutes"], m["actual_minutes"], m["verified_minutes"],
                       m["unverified"]])
    t = summary["total"]
    totals.append(["合计", t["tasks"], t["scheduled_minutes"], t["actual_minutes"], t["verified_minutes"],
                   t["unverified"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

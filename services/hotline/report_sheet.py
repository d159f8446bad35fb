"""The reconciliation report as a workbook: the problems found, one row each, and the appraisal's
counts and rates per community."""

import io
from collections.abc import Mapping

from openpyxl import Workbook

from services.hotline.kpis import COUNTS
from services.hotline.tickets import STATE_LABELS

ROW_COLUMNS = ["问题", "工单编号", "案件编号", "平台状态", "本系统状态", "案件状态", "说明"]


def _state(code: str | None) -> str | None:
    return STATE_LABELS.get(code, code) if code else None


def workbook(title: str, report: Mapping, appraisal: Mapping, names: Mapping[str, str]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "对账"
    sheet.append([title])
    sheet.append(["结论", "一致" if report["clean"] else f"发现 {len(report['rows'])} 处问题"])
    sheet.append(ROW_COLUMNS)
    for row in report["rows"]:
        sheet.append([row["problem_label"], row["ticket_no"], row["case_id"], _state(row["platform_state"]),
                      _state(row["ticket_state"]), row["case_state"], row["note"]])
    rates = book.create_sheet("考核指标")
    rates.append([title])
    formulas = list(appraisal["total"]["rates"])
    labels = [appraisal["total"]["rates"][f]["label"] for f in formulas]
    rates.append(["社区", *labels, *COUNTS])
    groups = [(names.get(c, c), v) for c, v in appraisal["communities"].items()] + [("合计", appraisal["total"])]
    for name, group in groups:
        shown = [group["rates"][f]["rate"] for f in formulas]
        rates.append([name, *[None if r is None else f"{r:.2%}" for r in shown], *[group["counts"][k] for k in COUNTS]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""An import job's report as a workbook the office can open: its own rows, on the lines where
they were, with one more column saying what was wrong with each rejected row."""

import base64
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import PurePath

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from services.rosters import workbook
from services.rosters.importing import job_in_reach, job_view, read_sheet
from services.rosters.repository import RostersStore
from shared.actor import Actor

ERROR_HEADER = "导入错误"


def import_report(store: RostersStore, actor: Actor, job_id: str) -> dict:
    """The job's counts and places made, and its report as base64 XLSX (rows not yet
    processed have an empty error cell)."""
    job = job_in_reach(store, actor, job_id)
    sheet = read_sheet(job["filename"], store.imports.content(job), job["total"])
    content = report_workbook(sheet, job.get("errors", []))
    view = job_view(job)
    return {k: view[k] for k in ("job_id", "state", "total", "processed", "imported", "unchanged", "rejected",
                                 "places_created", "created_places")} | {
        "filename": f"{PurePath(job['filename']).stem}-导入结果.xlsx",
        "content_base64": base64.b64encode(content).decode()}


def report_workbook(sheet: workbook.Sheet, errors: Iterable[Mapping]) -> bytes:
    reasons: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        reasons[error["line"]].append(f"{error['field']}：{error['reason']}")
    book = Workbook()
    page = book.active
    page.title = "导入结果"
    for line, cells in sheet.lines:
        for column, value in enumerate(cells, start=1):
            if value not in (None, ""):
                _put(page.cell(row=line, column=column), value)
    column = 1 + max((_width(cells) for _, cells in sheet.lines), default=0)
    page.cell(row=sheet.header.line, column=column, value=ERROR_HEADER)
    for line, found in reasons.items():
        _put(page.cell(row=line, column=column), "；".join(found))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _width(cells: list) -> int:
    filled = [i for i, value in enumerate(cells, start=1) if value not in (None, "")]
    return filled[-1] if filled else 0


def _put(cell, value: object) -> None:
    """A value written as it was read; text is kept text (never a formula) and loses the
    control characters a workbook cannot hold."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    elif isinstance(value, bool | int | float) or hasattr(value, "isoformat"):
        cell.value = value
    else:
        cell.value = str(value)

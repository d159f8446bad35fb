"""Roster importer plugins (entry-point group `linli.roster_importers`).

An importer turns a file's bytes into `(line number, {header: text})` rows; the import
itself (`importing.py`) maps Chinese headers to fields and validates every row.
"""

import csv
import io
from collections.abc import Iterator
from typing import Protocol

Row = tuple[int, dict[str, str]]


class RosterImporter(Protocol):
    def rows(self, content: bytes) -> Iterator[Row]: ...


class CsvImporter:
    """UTF-8 (with or without BOM) or GB18030 CSV, first line the headers."""

    def rows(self, content: bytes) -> Iterator[Row]:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("gb18030")
        reader = csv.reader(io.StringIO(text))
        headers = [h.strip() for h in next(reader, [])]
        for line, values in enumerate(reader, start=2):
            if any(v.strip() for v in values):
                yield line, dict(zip(headers, (v.strip() for v in values), strict=False))


class XlsxImporter:
    """The first sheet of an XLSX workbook, first row the headers."""

    def rows(self, content: bytes) -> Iterator[Row]:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        values = sheet.iter_rows(values_only=True)
        headers = [str(h).strip() if h is not None else "" for h in next(values, ())]
        for line, cells in enumerate(values, start=2):
            texts = [_cell_text(c) for c in cells]
            if any(texts):
                yield line, dict(zip(headers, texts, strict=False))


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "是" if cell else "否"
    if hasattr(cell, "date") and hasattr(cell, "isoformat"):
        return cell.date().isoformat() if hasattr(cell, "hour") else cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()

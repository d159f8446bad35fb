"""Roster importer plugins (entry-point group `linli.roster_importers`).

An importer turns a file's bytes into its non-blank lines: `(line, [cell, …])`, the line the
row's number in the sheet as the office sees it (title and blank rows counted) and the cells
raw (text, numbers, booleans, dates or None), so that dates, Excel serial numbers and numeric
phones are seen as written. Finding the header row and reading the cells is the import's work
(`workbook.py`); an older plugin with `rows(content)` yielding `(line, {header: text})` is
still read.
"""

import csv
import io
from collections.abc import Iterator
from typing import Protocol

Cell = str | int | float | bool | object | None
Line = tuple[int, list[Cell]]
MAX_COLUMNS = 60  # columns read per row: rosters have about twenty
BLANK_RUN = 1000  # this many blank rows in a row end the sheet (a formatted but empty tail)


class RosterImporter(Protocol):
    def lines(self, content: bytes) -> Iterator[Line]: ...


class CsvImporter:
    """UTF-8 (with or without BOM) or GB18030 CSV."""

    def lines(self, content: bytes) -> Iterator[Line]:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("gb18030")
        for line, values in enumerate(csv.reader(io.StringIO(text)), start=1):
            cells = [v.strip() for v in values[:MAX_COLUMNS]]
            if any(cells):
                yield line, cells


class XlsxImporter:
    """The first sheet of an XLSX workbook, cells as openpyxl reads them (dates as datetimes)."""

    def lines(self, content: bytes) -> Iterator[Line]:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            blanks = 0
            for line, cells in enumerate(workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS),
                                         start=1):
                cells = [c.strip() if isinstance(c, str) else c for c in cells]
                if any(c not in (None, "") for c in cells):
                    blanks = 0
                    yield line, cells
                elif (blanks := blanks + 1) >= BLANK_RUN:
                    return
        finally:
            workbook.close()

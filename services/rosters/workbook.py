"""A roster file read through its importer plugin: the header row found below any title
rows, and each data row's cells by field, with the sheet line the office sees."""

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from services.rosters.headers import SCANNED_ROWS, Header, HeaderNotFound, find_header
from services.rosters.importers import Line, RosterImporter
from shared.errors import ValidationFailed, field_error

Row = tuple[int, dict[str, object]]


@dataclass(frozen=True)
class Sheet:
    """Every non-blank line of the file (for the report), its header and its data rows."""

    lines: list[Line]
    header: Header

    @property
    def rows(self) -> list[Row]:
        columns = self.header.columns.items()
        return [(line, {f: cells[i] if i < len(cells) else None for f, i in columns})
                for line, cells in self.lines if line > self.header.line]


def read_sheet(importer: RosterImporter, content: bytes, filename: str, max_rows: int) -> Sheet:
    """The file's sheet, or `ValidationFailed` on `content_base64` saying why it cannot be
    imported: unreadable, no header row, more than `max_rows` data rows."""
    try:
        lines = list(itertools.islice(lines_of(importer, content), max_rows + SCANNED_ROWS + 1))
    except ValidationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault
        raise field_error("content_base64", f"cannot be read as {filename}: {exc}") from None
    try:
        sheet = Sheet(lines, find_header(lines))
    except HeaderNotFound as exc:
        raise field_error("content_base64", str(exc)) from None
    if len(sheet.rows) > max_rows or len(lines) > max_rows + SCANNED_ROWS:
        raise field_error("content_base64", f"has more than {max_rows} rows; split it (IMPORT_MAX_ROWS)")
    return sheet


def lines_of(importer: object, content: bytes) -> Iterator[Line]:
    """The plugin's lines; a plugin of the older interface (`rows`: `(line, {header: text})`)
    is read as a header on line 1 and its rows."""
    if hasattr(importer, "lines"):
        return iter(importer.lines(content))
    return _from_headed_rows(importer.rows(content))


def _from_headed_rows(rows: Iterable[tuple[int, dict]]) -> Iterator[Line]:
    headers = None
    for line, row in rows:
        if headers is None:
            headers = list(row)
            yield 1, list(headers)
        yield line, [row.get(h) for h in headers]

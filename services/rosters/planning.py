"""A roster row checked against the tree (every problem, labelled with the file's own
headers), and a whole sheet planned without writing anything: the dry run's report of the
rows it would import and the places it would create, counted per level.

Plain Python over the sheet and a `PlaceIndex`.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from services.rosters.headers import Header
from services.rosters.placing import PlaceIndex, Placement, place_row, shown
from services.rosters.rows import RowValues, check_row

PLURALS = {"alley": "alleys", "community": "communities"}


@dataclass
class CheckedRow:
    line: int
    values: RowValues
    placement: Placement | None
    errors: list[dict]


def check_line(header: Header, index: PlaceIndex, line: int, cells: Mapping[str, object],
               create: bool) -> CheckedRow:
    """The row read, placed and checked: its errors as `{line, field, reason}`, the field the
    column's header as the file writes it."""
    values, problems = check_row(cells)
    placement, place_problems = place_row(index, values.path, values.role, create)
    errors = [{"line": line, "field": header.label(f), "reason": r} for f, r in problems + place_problems]
    return CheckedRow(line, values, placement, errors)


def dry_run(header: Header, rows: list[tuple[int, Mapping[str, object]]], index: PlaceIndex,
            create: bool) -> dict:
    """What importing the rows would do, with nothing written."""
    errors, good, missing = [], 0, {}
    for line, cells in rows:
        checked = check_line(header, index, line, cells, create)
        errors += checked.errors
        if not checked.errors:
            good += 1
            missing.update(dict.fromkeys(checked.placement.missing))
    counts = Counter(key[-1][0] for key in missing)
    return {"job_id": None, "state": "dry_run", "total": len(rows), "would_import": good,
            "rejected": len({e["line"] for e in errors}), "errors": errors, "would_create": dict(counts),
            "places": [{"level": key[-1][0], "path": shown(key)} for key in missing],
            "summary": summary(counts)}


def summary(counts: Mapping[str, int]) -> str:
    """"would create 43 grids, 390 buildings" (levels from the top down)."""
    order = ["grid", "zone", "estate", "alley", "building", "unit"]
    parts = [f"{counts[lv]} {PLURALS.get(lv, lv + 's') if counts[lv] != 1 else lv}" for lv in order if counts.get(lv)]
    return f"would create {', '.join(parts)}" if parts else "would create no places"

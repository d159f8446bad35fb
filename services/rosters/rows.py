"""One roster row read and checked: every problem of the row is found, not just the first.

Plain Python: `check_row` takes the row's cells by field and returns the values it could read
and a list of `(field, reason)` problems; a row with problems is not imported.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from services.rosters.cells import CellError, read_date, read_phone, text_of

ROLE_NAMES = {
    "网格长": "grid_leader", "专职网格员": "grid_worker", "网格员": "grid_worker", "片长": "zone_leader",
    "组长": "group_leader", "楼栋长": "building_leader", "邻长": "building_leader", "单元长": "unit_leader",
    "小巷管家": "alley_steward", "书记": "secretary", "社区书记": "secretary", "值班人员": "duty_officer",
}
PATH_FIELDS = ("community", "grid", "zone", "estate", "alley", "building", "unit")
PARTY = {"是": True, "党员": True, "中共党员": True, "预备党员": True, "中共预备党员": True, "yes": True, "1": True,
         "否": False, "群众": False, "非党员": False, "共青团员": False, "团员": False, "no": False, "0": False,
         "": False}
LIMITS = {"name": 100, "occupation": 60, "certificate_no": 40, "work_id": 40, **{f: 100 for f in PATH_FIELDS}}
Problem = tuple[str, str]


@dataclass
class RowValues:
    """What a row says: the person, the role, the place's names by level and the terms."""

    person: dict = field(default_factory=dict)
    role: str | None = None
    path: dict[str, str] = field(default_factory=dict)
    terms: dict = field(default_factory=dict)


def check_row(cells: Mapping[str, object]) -> tuple[RowValues, list[Problem]]:
    texts = {f: text_of(c) for f, c in cells.items()}
    values, problems = RowValues(), []
    for name, limit in LIMITS.items():
        if len(texts.get(name, "")) > limit:
            problems.append((name, f"longer than {limit} characters"))
    problems += [(name, "contains a NUL character") for name, text in texts.items() if "\x00" in text]
    if not texts.get("name"):
        problems.append(("name", "required"))
    values.person = {"name": texts.get("name", ""), "phone": _read(read_phone, cells, "phone", problems),
                     "id_number": _id_number(texts.get("id_number", ""), problems),
                     "party_member": _party(texts.get("party_member", ""), problems),
                     "occupation": texts.get("occupation") or None,
                     "skills": _split(texts.get("skills", "")), "interests": _split(texts.get("interests", ""))}
    values.role = _role(texts.get("role", ""), problems)
    values.path = {f: texts[f] for f in PATH_FIELDS if texts.get(f)}
    values.terms = _terms(cells, texts, problems)
    return values, problems


def _read(reader, cells: Mapping[str, object], name: str, problems: list[Problem]):
    if not text_of(cells.get(name)):
        if name == "phone":
            problems.append((name, "required"))
        return None
    try:
        return reader(cells[name])
    except CellError as exc:
        problems.append((name, str(exc)))
        return None


def _id_number(text: str, problems: list[Problem]) -> str | None:
    if text and not re.fullmatch(r"\d{17}[\dXx]", text):
        problems.append(("id_number", "must be an 18-character resident ID number"))
    return text.upper() or None


def _party(text: str, problems: list[Problem]) -> bool:
    if text not in PARTY:
        problems.append(("party_member", f"not 是 or 否: {text}"))
    return PARTY.get(text, False)


def _role(text: str, problems: list[Problem]) -> str | None:
    if not text:
        problems.append(("role", "required"))
    elif text not in ROLE_NAMES:
        problems.append(("role", f"unknown role: {text}"))
    return ROLE_NAMES.get(text)


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[、,，;；\s]+", text) if part]


def _terms(cells: Mapping[str, object], texts: Mapping[str, str], problems: list[Problem]) -> dict:
    start: date | None = _read(read_date, cells, "term_start", problems)
    end: date | None = _read(read_date, cells, "term_end", problems)
    if start and end and end <= start:
        problems.append(("term_end", "must be after the term start"))
    return {"certificate_no": texts.get("certificate_no") or None, "work_id": texts.get("work_id") or None,
            "term_start": start, "term_end": end}

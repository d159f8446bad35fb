"""Dates and phone numbers as street offices write them in roster workbooks, read into plain
values: `2019年6月`, `2022/12/30`, `20221230`, Excel serial numbers, `+86 138-0731-0011` …

Plain Python (no marshmallow): each reader returns the value or raises `CellError` saying why.
"""

import re
from datetime import date, datetime, timedelta

FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－．／（）　", "0123456789+-./() ")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's leap-year bug included)
SERIALS = range(10_000, 100_000)  # five-digit serials: 1927 to 2173, the years a term falls in
MOBILE = re.compile(r"1\d{10}")
CHINESE_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?")
SEPARATED_DATE = re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})")
COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


class CellError(ValueError):
    """A cell that cannot be read as the value its column holds; the message is the reason."""


def text_of(cell: object) -> str:
    """A cell as text, trimmed: whole numbers without `.0`, booleans as 是/否, empty as ''."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "是" if cell else "否"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).translate(FULL_WIDTH).strip()


def read_date(cell: object) -> date:
    """A date cell: a real date, an Excel serial number, or text such as `2019年6月` (the first
    of the month), `2019年6月3日`, `2022/12/30`, `2022.12.30`, `2022-12-30` or `20221230`."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, float) and not cell.is_integer():  # a serial with a time of day
        return _serial(int(cell))
    text = text_of(cell)
    if re.fullmatch(r"\d{1,7}", text):
        return _serial(int(text))
    for pattern in (CHINESE_DATE, SEPARATED_DATE, COMPACT_DATE):
        found = pattern.fullmatch(text)
        if found:
            year, month, day = (g for g in found.groups() if g not in ("-", "/", "."))
            return _day(text, int(year), int(month), int(day or 1))
    raise CellError(f"not a date: {text} (write it as 2022-12-30, 2022/12/30, 2022年12月30日 or 2022年12月)")


def _serial(number: int) -> date:
    if number not in SERIALS:
        raise CellError(f"not a date: {number} (an Excel date number has five digits)")
    return EXCEL_EPOCH + timedelta(days=number)


def _day(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(f"not a date: {text} (no such day)") from None


def read_phone(cell: object) -> str:
    """An 11-digit mainland mobile number, from text with full-width digits, spaces, dashes,
    brackets or a `+86` / `86` / `0086` prefix, or from a number cell."""
    text = re.sub(r"[\s\-()]", "", text_of(cell))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    if not MOBILE.fullmatch(text):
        raise CellError("must be an 11-digit mainland mobile number")
    return text

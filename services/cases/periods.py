"""Periods of local days for statistics: the period asked for or its default (this month's
first day to today), its bounds, and the counter buckets (months and days) covering it."""

from datetime import date, timedelta

from shared.errors import field_error

MAX_DAYS = 3660  # a period is at most ten years


def stats_period(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """The first and last day: `date_to` defaults to today, `date_from` to the first day of
    `date_to`'s month; `ValidationFailed` naming the field when they are out of order or more
    than ten years apart."""
    last = date_to or today
    first = date_from or last.replace(day=1)
    named = "date_to" if date_to is not None else "date_from"
    if last < first:
        raise field_error(named, "must not be before date_from" if named == "date_to" else
                          f"must not be after date_to (default today, {last.isoformat()})")
    if (last - first).days > MAX_DAYS:
        raise field_error(named, "a period is at most ten years")
    return first, last


def period_buckets(first: date, last: date) -> list[str]:
    """Counter suffixes covering the days from `first` to `last`: whole months as `YYYY-MM`,
    the days of partial months as `YYYY-MM-DD`."""
    buckets, day = [], first
    while day <= last:
        month_start = day.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        if day == month_start and next_month - timedelta(days=1) <= last:
            buckets.append(day.isoformat()[:7])
            day = next_month
        else:
            buckets.append(day.isoformat())
            day += timedelta(days=1)
    return buckets

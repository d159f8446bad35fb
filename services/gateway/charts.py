"""The statistics page's figures and charts, as numbers a template draws as inline SVG: the
three rates (response, resolution, satisfaction) as bars, and the cases received per category
month by month as stacked columns. Pure."""

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

#: 12345's three yardsticks, as `stats` names them, with their Chinese names
THREE_RATES = (("response_rate", "响应率"), ("resolution_rate", "办结率"), ("satisfaction_rate", "满意率"))
#: categories drawn in their own colour; the rest of a month is one segment (其余类别)
MOST_CATEGORIES = 6
COLOURS = ("#2f6fb0", "#e0792b", "#3a9a5b", "#c23b3b", "#8a5cc2", "#a0772d")
REST, REST_COLOUR = "_rest", "#9aa3ad"  # the categories not drawn in their own colour
CHART_HEIGHT = 160  # px the tallest column reaches
COLUMN_WIDTH, COLUMN_GAP = 36, 18
BAR_WIDTH = 240  # px of a rate of 100%


def months_up_to(today: date, count: int) -> list[tuple[date, date]]:
    """The last `count` calendar months, oldest first, each (first day, last day); the current
    month ends today."""
    months = []
    first = today.replace(day=1)
    for _ in range(count):
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first, min(following - timedelta(days=1), today)))
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def rate_bars(rates: Mapping[str, float | None]) -> list[dict]:
    """The three rates, each with its text and its bar's width (none without a figure)."""
    return [{"code": code, "label": label, "value": rates.get(code), "text": percent(rates.get(code)),
             "width": round((rates.get(code) or 0) * BAR_WIDTH)} for code, label in THREE_RATES]


def received_by_category(stats: Mapping) -> dict[str, int]:
    """Cases received per category in one `stats` answer (categories with none left out)."""
    by_category = stats.get("by_category") or {}
    return {code: figures["totals"].get("received", 0) for code, figures in by_category.items()
            if figures["totals"].get("received", 0)}


def stacked_columns(months: Sequence[tuple[str, Mapping[str, int]]], labels: Mapping[str, str]) -> dict:
    """Columns, one per month (`label`, received per category), each a stack of segments: the
    categories with the most cases over all months in their colours, the others together."""
    overall: dict[str, int] = {}
    for _, counts in months:
        for code, count in counts.items():
            overall[code] = overall.get(code, 0) + count
    shown = sorted(overall, key=lambda code: (-overall[code], code))[:MOST_CATEGORIES]
    colours = {code: COLOURS[n] for n, code in enumerate(shown)}
    tallest = max((sum(counts.values()) for _, counts in months), default=0) or 1
    columns = []
    for n, (label, counts) in enumerate(months):
        parts = [(code, counts.get(code, 0), colours[code]) for code in shown]
        parts.append((REST, sum(c for code, c in counts.items() if code not in colours), REST_COLOUR))
        top, segments = CHART_HEIGHT, []
        for code, count, colour in parts:
            if count:
                height = count * CHART_HEIGHT / tallest
                top -= height
                segments.append({"category": code, "count": count, "colour": colour, "y": round(top, 2),
                                 "height": round(height, 2)})
        columns.append({"label": label, "x": n * (COLUMN_WIDTH + COLUMN_GAP), "total": sum(counts.values()),
                        "top": round(top, 2), "segments": segments})
    legend = [{"category": code, "label": labels.get(code, code), "colour": colours[code]} for code in shown]
    if any(segment["category"] == REST for column in columns for segment in column["segments"]):
        legend.append({"category": REST, "label": "其余类别", "colour": REST_COLOUR})
    return {"columns": columns, "legend": legend, "height": CHART_HEIGHT,
            "width": max(len(months) * (COLUMN_WIDTH + COLUMN_GAP) - COLUMN_GAP, COLUMN_WIDTH),
            "column_width": COLUMN_WIDTH}

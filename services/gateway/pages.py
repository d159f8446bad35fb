"""The statistics page of a node of the tree (`/pages/stats/<node_id>`): HTML the gateway
renders itself, its charts inline SVG, no script and no front-end build. Read with the
caller's key (`api_key` in the query: a link opens it) or, without one, as the key ops marked
for public reads; the figures are cases' `stats`, `search` and rosters' unit, as that key's
actor may see them."""

import re
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.wrappers import Request, Response

from services.gateway import charts
from services.gateway.answers import answered, headers_for
from services.gateway.statuses import status_for
from services.gateway.web import route
from shared.errors import LinliError, field_error

PAGES = "/pages"
HTML = "text/html; charset=utf-8"
DEFAULT_MONTHS, MOST_MONTHS = 6, 24
OVERDUE_LISTED = 50
TEMPLATES = Environment(loader=PackageLoader("services.gateway", "templates"), autoescape=select_autoescape())


def months_asked(request: Request) -> int:
    given = request.args.get("months", str(DEFAULT_MONTHS))
    if not re.fullmatch(r"[0-9]{1,2}", given) or not 1 <= int(given) <= MOST_MONTHS:
        raise field_error("months", f"a whole number of months from 1 to {MOST_MONTHS}")
    return int(given)


def html_error(error: LinliError, path: dict) -> Response:
    reasons = "".join(f"<li>{escape(str(d.get('field')))}: {escape(str(d.get('reason_zh') or d.get('reason')))}</li>"
                      for d in error.details)
    page = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(error.code)}</title>'
            f'</head><body><h1 data-error="{escape(error.code)}">{escape(error.message_zh)}</h1><ul>{reasons}</ul>'
            "</body></html>")
    return Response(page, status=status_for(error.code).json, headers=headers_for(error), content_type=HTML)


class Pages:
    """Routes of `GatewayService`; `_caller`, `_ask`, `_labels`, `_published` and `config` are the service's."""

    @route("GET", f"{PAGES}/stats/<node_id>")
    @answered(html_error)
    def stats_page(self, request: Request, node_id: str) -> Response:
        months = months_asked(request)
        caller = self._caller(request, public=True)
        zone = ZoneInfo(self.config.get("LOCAL_TIMEZONE", "Asia/Shanghai"))
        spans = charts.months_up_to(datetime.now(zone).date(), months)

        def stats(first, last) -> dict:
            return self._ask(caller, "cases", "stats", "node_id", node_id=node_id, date_from=first.isoformat(),
                             date_to=last.isoformat())

        node = self._ask(caller, "rosters", "get_unit", "node_id", unit_id=node_id)
        whole = stats(spans[0][0], spans[-1][1])
        monthly = [(f"{first:%Y-%m}", charts.received_by_category(stats(first, last))) for first, last in spans]
        overdue = self._ask(caller, "cases", "search", "node_id", node_id=node_id, overdue=True, limit=OVERDUE_LISTED)
        labels = self._labels()
        level_labels = {level["code"]: level["label"] for level in self._published("rosters", "labels")["levels"]}
        page = TEMPLATES.get_template("stats.html").render(
            node=node, level_label=level_labels.get(node.get("level"), node.get("level")), stats=whole,
            rates=charts.rate_bars(whole["rates"]), bar_width=charts.BAR_WIDTH,
            chart=charts.stacked_columns(monthly, {c["code"]: c["label"] for c in labels["categories"]}),
            overdue=overdue, state_labels={s["code"]: s["label"] for s in labels["states"]})
        return Response(page, content_type=HTML)

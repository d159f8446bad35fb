"""The statistics page of the demo community, rendered by headless Chromium: the three rates,
the totals, the months' columns and the overdue cases are the figures `stats` and `search`
give for the same node and period."""

import html.parser
from datetime import datetime
from zoneinfo import ZoneInfo

from services.gateway import charts
from tests.browser import rendered_dom
from tests.integration.gateway.conftest import COMMUNITY

UNITS = ("金昌花园/2栋/1单元", "金昌花园/2栋/2单元")


class Figures(html.parser.HTMLParser):
    """The page's figures by their data attributes: `data-figure`, `data-rate`, `data-month`
    (with its `data-total`), `data-case`, `data-period`, `data-error`."""

    def __init__(self):
        super().__init__()
        self.figures, self.rates, self.months, self.cases, self.period = {}, {}, {}, [], {}
        self.reading: tuple[dict, str] | None = None
        self.svgs = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.svgs += tag == "svg"
        for attribute, into in (("data-figure", self.figures), ("data-rate", self.rates),
                                ("data-period", self.period)):
            if attribute in attrs:
                self.reading = (into, attrs[attribute])
        if "data-month" in attrs:
            self.months[attrs["data-month"]] = int(attrs["data-total"])
        if "data-case" in attrs:
            self.cases.append(attrs["data-case"])

    def handle_data(self, data):
        if self.reading and data.strip():
            into, name = self.reading
            into[name] = data.strip()
            self.reading = None


def test_the_page_shows_the_figures_stats_gives_for_the_community(gateway_url, public_key, place, cases):
    units = [place(unit) for unit in UNITS]
    made = [cases.report(channel="visit", reporter={"name": f"居民{n}"}, unit_id=units[n % 2],
                         category=("drains", "street_lights", "noise")[n % 3], description=f"第{n}件事")
            for n in range(7)]
    for case in made[:3]:
        cases.self_resolve(case_id=case["case_id"], result="楼栋长当场解决")
    cases.evaluate(case_id=made[0]["case_id"], satisfied=True)
    community = place(COMMUNITY)

    dom = rendered_dom(f"{gateway_url}/pages/stats/{community}?months=3")
    page = Figures()
    page.feed(dom)

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    first = charts.months_up_to(today, 3)[0][0]
    stats = cases.stats(node_id=community, date_from=first.isoformat(), date_to=today.isoformat())
    assert page.period == {"from": first.isoformat(), "to": today.isoformat()}
    for figure in ("received", "dispatched", "resolved", "satisfied"):
        assert int(page.figures[figure]) == stats["totals"][figure], figure
    assert int(page.figures["received"]) >= 7
    for code, _ in charts.THREE_RATES:
        assert page.rates[code] == charts.percent(stats["rates"][code]), code
    assert list(page.months) == [f"{start:%Y-%m}" for start, _ in charts.months_up_to(today, 3)]
    assert sum(page.months.values()) == stats["totals"]["received"]
    overdue = cases.search(node_id=community, overdue=True, limit=50)
    assert int(page.figures["overdue"]) == overdue["total"]
    assert page.cases == [case["case_id"] for case in overdue["items"]]
    assert page.svgs == 2
    print(f"stats page of {COMMUNITY}: received {page.figures['received']}, rates {page.rates}, "
          f"months {page.months}, overdue {page.figures['overdue']}")


def test_without_any_key_the_page_says_a_key_is_needed(gateway_url, place):
    dom = rendered_dom(f"{gateway_url}/pages/stats/{place(COMMUNITY)}")
    page = Figures()
    page.feed(dom)
    assert page.figures == {} and 'data-error="unauthenticated"' in dom

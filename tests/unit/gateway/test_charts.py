"""The statistics page's figures: months, the three rates as bars, categories as stacked columns."""

from datetime import date

from services.gateway import charts


def test_months_end_today_and_run_oldest_first_across_a_year():
    assert charts.months_up_to(date(2026, 2, 10), 3) == [(date(2025, 12, 1), date(2025, 12, 31)),
                                                         (date(2026, 1, 1), date(2026, 1, 31)),
                                                         (date(2026, 2, 1), date(2026, 2, 10))]
    assert charts.months_up_to(date(2024, 3, 31), 2) == [(date(2024, 2, 1), date(2024, 2, 29)),
                                                         (date(2024, 3, 1), date(2024, 3, 31))]


def test_the_three_rates_are_response_resolution_and_satisfaction_with_no_figure_drawn_empty():
    bars = charts.rate_bars({"response_rate": 0.5, "resolution_rate": None, "satisfaction_rate": 1.0,
                             "reopen_rate": 0.2})
    assert [(b["code"], b["label"], b["text"], b["width"]) for b in bars] == [
        ("response_rate", "响应率", "50.0%", charts.BAR_WIDTH // 2), ("resolution_rate", "办结率", "—", 0),
        ("satisfaction_rate", "满意率", "100.0%", charts.BAR_WIDTH)]


def test_received_by_category_leaves_out_categories_with_none():
    stats = {"by_category": {"drains": {"totals": {"received": 3}}, "noise": {"totals": {"received": 0}}}}
    assert charts.received_by_category(stats) == {"drains": 3}


def test_columns_stack_the_busiest_categories_in_colour_and_the_rest_together():
    months = [("2026-10", {f"c{n}": n + 1 for n in range(8)}), ("2026-11", {}), ("2026-12", {"c7": 4})]
    chart = charts.stacked_columns(months, {"c7": "七"})
    october, november, december = chart["columns"]
    assert [c["total"] for c in chart["columns"]] == [36, 0, 4]
    assert [s["category"] for s in october["segments"]] == ["c7", "c6", "c5", "c4", "c3", "c2", charts.REST]
    assert october["segments"][-1]["count"] == 1 + 2  # c0 and c1, the quietest, together
    assert october["top"] == 0 and november["segments"] == [] and november["top"] == charts.CHART_HEIGHT
    assert round(sum(s["height"] for s in october["segments"]), 6) == charts.CHART_HEIGHT
    assert december["segments"][0]["height"] == round(4 * charts.CHART_HEIGHT / 36, 2)
    assert chart["legend"][0] == {"category": "c7", "label": "七", "colour": charts.COLOURS[0]}
    assert chart["legend"][-1]["category"] == charts.REST
    assert [c["x"] for c in chart["columns"]] == [0, 54, 108]


def test_no_cases_at_all_draws_empty_columns():
    chart = charts.stacked_columns([("2026-12", {})], {})
    assert chart["columns"][0]["segments"] == [] and chart["legend"] == []

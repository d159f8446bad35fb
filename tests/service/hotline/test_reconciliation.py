"""The appraisal's rates as configured formulas over each community's tickets, and the
reconciliation of the platform's tickets with the tickets and cases here, as JSON and XLSX."""

import base64
import io

import pytest
from openpyxl import load_workbook

from services.hotline.settings import Settings
from tests.service.hotline.conftest import SECRETARY, case_event, survey, ticket

PERIOD = {"date_from": "2026-12-01", "date_to": "2026-12-31"}


@pytest.fixture
def worked(service_as, platform, cases, run_timers):
    """Four tickets: A1 replied and surveyed satisfied, A2 replied and unsatisfied, A3 signed,
    B1 of 联福社区 signed."""
    platform.feed = [ticket("A1"), ticket("A2"), ticket("A3"), ticket("B1", area_code="LF")]
    run_timers()
    for no in ("A1", "A2"):
        cases.cases[f"fake:{no}"]["state"] = "resolved"
        service_as().on_case_resolved(case_event("case_resolved", f"fake:{no}", result="已处理"))
    run_timers()
    platform.feed += [survey("A1", satisfied=True), survey("A2", satisfied=False)]
    run_timers()


def test_the_three_rates_per_community_follow_the_default_formulas(service_as, worked):
    answer = service_as(SECRETARY).kpis(**PERIOD)

    assert list(answer["communities"]) == ["unit_jiayuan"]  # the secretary's jurisdiction only
    jiayuan = answer["communities"]["unit_jiayuan"]
    assert jiayuan["counts"]["received"] == 3 and jiayuan["counts"]["signed_on_time"] == 3
    assert jiayuan["rates"]["response_rate"] == {"label": "响应率", "numerator": 3, "denominator": 3, "rate": 1.0}
    assert jiayuan["rates"]["satisfaction_rate"]["rate"] == 0.5
    assert jiayuan["rates"]["resolution_rate"]["rate"] == 0.5
    assert service_as().kpis(**PERIOD)["total"]["counts"]["received"] == 4  # ops see both communities


def test_a_citys_own_formula_is_config(service_as, worked, settings):
    formulas = {"satisfaction_rate": {"label": "满意率", "numerator": ["satisfied"], "denominator": ["replied"]}}
    configured = Settings.from_config({"KPIS": formulas})
    service = service_as()
    service.settings = Settings(platforms=settings.platforms, retry=settings.retry, kpis=configured.kpis)
    assert service.kpis(**PERIOD)["total"]["rates"]["satisfaction_rate"]["rate"] == 0.5
    with pytest.raises(ValueError, match="KPIS.bad.numerator"):
        Settings.from_config({"KPIS": {"bad": {"numerator": ["happiness"], "denominator": ["received"]}}})


def test_the_reconciliation_is_clean_when_both_sides_agree_and_names_each_difference_when_not(
        service_as, worked, platform, cases, clock):
    listing = [{"ticket_no": "A1", "state": "closed", "replies": 1}, {"ticket_no": "A2", "state": "reworking",
                                                                        "replies": 1},
               {"ticket_no": "A3", "state": "signed", "replies": 0}, {"ticket_no": "B1", "state": "signed",
                                                                        "replies": 0}]
    platform.tickets = lambda since: listing
    cases.cases["fake:A1"]["state"] = "closed"
    cases.cases["fake:A2"]["state"] = "reopened"

    clean = service_as().reconciliation(platform="fake", **PERIOD)
    assert clean["clean"] is True and clean["counts"] == {} and clean["tickets"] == 4

    listing.append({"ticket_no": "Z9", "state": "received", "replies": 0})
    listing[2]["state"] = "received"
    cases.cases["fake:A3"]["state"] = "closed"
    clock.move(days=10)
    report = service_as().reconciliation(platform="fake", **PERIOD)
    assert report["clean"] is False
    assert report["counts"] == {"missing_here": 1, "state_mismatch": 1, "case_mismatch": 1, "overdue_reply": 3}
    book = load_workbook(io.BytesIO(base64.b64decode(report["content_base64"])))
    rows = [[c.value for c in row] for row in book["对账"].iter_rows(min_row=4)]
    assert ["平台有、本系统无", "Z9"] in [r[:2] for r in rows]
    sheet = [[c.value for c in row] for row in book["考核指标"].iter_rows(min_row=2)]
    assert sheet[0][:4] == ["社区", "响应率", "解决率", "满意率"]
    assert sheet[-1][:4] == ["合计", "100.00%", "50.00%", "50.00%"]
    assert [row[0] for row in sheet[1:-1]] == ["嘉园社区", "某社区"]


def test_a_platform_that_cannot_list_still_gets_the_cases_side(service_as, worked):
    report = service_as().reconciliation(platform="fake", **PERIOD)
    assert report["platform_tickets"] is None and report["platform_listing"].startswith("not available")
    assert report["clean"] is True


def test_the_period_is_checked(service_as):
    with pytest.raises(Exception) as refused:
        service_as().kpis(date_from="2026-12-31", date_to="2026-12-01")
    assert refused.value.details[0]["field"] == "date_to"

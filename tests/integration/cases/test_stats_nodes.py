"""Statistics for a unit and a building through the real services: they count exactly the
cases reported there, over the default period (this month to today, Shanghai days)."""

from tests.integration.cases.conftest import drain_report


def test_a_unit_and_a_building_count_the_cases_reported_there(cases, place):
    unit, neighbour, other_building = (place(p) for p in ("金昌花园/2栋/1单元", "金昌花园/2栋/2单元",
                                                          "金昌花园/1栋/1单元"))
    closed = cases.report(**drain_report(unit))["case_id"]
    cases.self_resolve(case_id=closed, result="康师傅疏通了下水道")
    cases.evaluate(case_id=closed, satisfied=True, comment="很满意")
    cases.escalate(case_id=cases.report(**drain_report(unit))["case_id"], note="需要专业疏通车")
    cases.report(**drain_report(neighbour))
    cases.report(**drain_report(other_building))

    at_unit, at_building = cases.stats(node_id=unit), cases.stats(node_id=place("金昌花园/2栋"))

    assert at_unit["level"] == "unit" and at_building["level"] == "building"
    assert at_unit["totals"]["received"] == cases.search(node_id=unit)["total"] == 2
    assert at_building["totals"]["received"] == cases.search(node_id=place("金昌花园/2栋"))["total"] == 3
    assert (at_unit["totals"]["closed"], at_unit["totals"]["escalated"], at_unit["totals"]["self_resolved"]) == \
        (1, 1, 1)
    assert (at_building["totals"]["closed"], at_building["totals"]["escalated"]) == (1, 1)
    assert at_unit["date_to"] == at_building["date_to"] and at_unit["date_from"].endswith("-01")

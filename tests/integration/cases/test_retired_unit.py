"""A unit rosters retires stops taking reports at once: cases forgets its cached copy when
rosters announces `unit_changed`, so a report right after the retirement is refused."""

import pytest

from shared.errors import ValidationFailed
from tests.integration.cases.conftest import drain_report

UNITS = [f"金昌花园/{building}/{unit}" for building in ("1栋", "2栋", "3栋") for unit in ("1单元", "2单元")]


def test_a_report_right_after_its_unit_was_retired_is_refused_naming_the_unit(cases, rosters, place):
    refusals = []

    for path in UNITS:
        unit_id = place(path)
        cases.report(**drain_report(unit_id))  # the unit is now in cases' cache
        rosters.retire_unit(unit_id=unit_id, reason="整栋拆迁")
        with pytest.raises(ValidationFailed) as refused:
            cases.report(**drain_report(unit_id))
        refusals.append(refused.value)

    assert [e.details[0]["field"] for e in refusals] == ["unit_id"] * len(UNITS)
    assert {e.details[0]["reason"] for e in refusals} == {"the unit is retired"}
    assert {e.message_zh for e in refusals} == {"提交的内容有误：单元（unit_id）已撤销，不再受理。"}

"""A caller of another community gets nothing of this one's cases through any query of cases,
and a reference or request id it repeats opens its own case, never hands over another's."""

import pytest

from shared.errors import Forbidden
from tests.integration.cases.conftest import drain_report

MEETING = {"kind": "building", "title": "2栋木门换铁门议事会", "scheduled_at": "2026-03-20T19:30:00+08:00"}


@pytest.fixture
def lianfu_secretary(rpc_as, place):
    """联福社区's secretary: unmasked numbers inside 联福, nothing of 嘉园."""
    return rpc_as("曾书记", "secretary", [place("联福社区")]).cases


@pytest.fixture
def jiayuan_case(cases, place):
    return cases.report(**drain_report(place("金昌花园/2栋/1单元"), channel="hotline",
                                       external_ref="12345-20261201-0007", request_id="r-jy-7"))


def test_every_query_by_a_caller_of_another_community_returns_nothing_of_this_one(
        cases, lianfu_secretary, jiayuan_case, place):
    meeting = cases.schedule_meeting(node_id=place("金昌花园/2栋"), **MEETING,
                                     agenda=[{"title": "木门换成铁门", "case_ids": [jiayuan_case["case_id"]]}])
    refused = []

    for query, arguments in (("get_case", {"case_id": jiayuan_case["case_id"]}),
                             ("stats", {"node_id": place("嘉园社区"), "date_from": "2026-01-01",
                                        "date_to": "2026-12-31"}),
                             ("get_meeting", {"meeting_id": meeting["meeting_id"]})):
        with pytest.raises(Forbidden) as error:
            getattr(lianfu_secretary, query)(**arguments)
        refused.append((query, error.value.details[0]["field"]))
    found = lianfu_secretary.search(limit=200)

    assert refused == [("get_case", "jurisdiction"), ("stats", "jurisdiction"), ("get_meeting", "jurisdiction")]
    assert found["total"] == 0 and found["items"] == []
    assert "13900001111" not in str(refused)


def test_a_reference_and_request_id_used_in_another_community_open_the_callers_own_case(
        cases, lianfu_secretary, jiayuan_case, place):
    theirs = drain_report(place("华尔星城/二期8栋"), channel="hotline", external_ref="12345-20261201-0007",
                          request_id="r-jy-7", reporter={"name": "李女士", "phone": "13907359999"})

    own = lianfu_secretary.report(**theirs)
    again = lianfu_secretary.report(**theirs)

    assert own["case_id"] != jiayuan_case["case_id"]
    assert again["case_id"] == own["case_id"]
    assert own["reporter"] == {"name": "李女士", "phone": "13907359999", "household": None}
    assert cases.get_case(case_id=jiayuan_case["case_id"])["reporter"]["name"] == "王大爷"

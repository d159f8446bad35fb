"""Triage of building on a roof: the property company and the owners' committee first where the
estate has a property company, 城管执法 where it has none."""

from tests.service.cases.making import case_in, step
from tests.service.street import UNIT


def with_property_company(roster) -> None:
    for level in roster.chains[UNIT]:
        if level["level"] == "estate":
            level["facts"] = {"has_property_company": True, "property_company": "金昌物业"}


def test_a_rooftop_shack_in_an_estate_with_a_property_company_is_suggested_to_it_and_the_owners(store, roster,
                                                                                                 clock):
    with_property_company(roster)
    case = case_in("escalated", store, roster, clock, category="illegal_building", place="rooftop",
                   description="2栋楼顶有人私搭乱建铁皮房")

    triaged = step(store, roster, clock, case["_id"], "triage", {"category": None, "urgency": None, "note": None})

    suggestion = triaged["suggestion"]
    assert (suggestion["kind"], suggestion["name"]) == ("property_company", "金昌物业")
    assert suggestion["co_handlers"] == [{"kind": "owners_committee", "name": "金昌花园业主委员会", "party_id": None}]


def test_a_rooftop_shack_in_an_estate_without_one_goes_to_urban_management_as_before(store, roster, clock):
    case = case_in("escalated", store, roster, clock, category="illegal_building", place="rooftop",
                   description="2栋楼顶有人私搭乱建铁皮房")

    triaged = step(store, roster, clock, case["_id"], "triage", {"category": None, "urgency": None, "note": None})

    assert (triaged["suggestion"]["kind"], triaged["suggestion"]["name"]) == ("department", "城管执法")

"""Rosters through its real entrypoints, broker and database, asked by a secretary of another
community (联福社区) about 嘉园社区: every query answers nothing of 嘉园's people, phones or units.
And the browsing RPCs as 嘉园's own secretary sees them."""

import contextlib
from datetime import UTC, datetime

import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import PEOPLE, find_place, load_demo
from services.rosters.service import RostersService
from shared.errors import Forbidden, NotFound
from shared.ids import new_id
from shared.mongo import mongo_client
from tests.conftest import actor_context, service_config

JIAYUAN_PEOPLE = [(name, phone) for name, phone, place, *_ in PEOPLE if place.startswith("嘉园社区")]
KANG_PHONE = "13807310004"
UNIT_2_1 = "嘉园社区/金昌花园/2栋/1单元"


@pytest.fixture(scope="module")
def street(stack):
    """One rosters service with the demo street and a proxy for ops, 嘉园's secretary and
    联福's secretary; the calls here change nothing the others read, so they share it."""
    name = new_id("test").replace("_", "")
    container = ServiceContainer(RostersService, service_config(stack, ROSTERS_DB=name))
    container.start()
    client = mongo_client(stack.mongo_uri)
    with contextlib.ExitStack() as proxies:
        def proxy(context):
            return proxies.enter_context(ClusterRpcProxy(service_config(stack), context_data=context, timeout=20))

        callers = {"ops": proxy(actor_context()).rosters}
        demo = load_demo(callers["ops"])
        for who, place in (("曾玉琴", "嘉园社区"), ("何涛", "联福社区")):
            callers[place] = proxy(actor_context(who, "secretary", (find_place(demo, place),))).rosters
        yield callers, demo
    container.stop()
    client.drop_database(name)
    client.close()


def leaks(answer, demo) -> list[str]:
    """Whatever of 嘉园社区 (a leader's name or phone, a unit id) the answer holds."""
    text = str(answer)
    jiayuan_units = [unit_id for path, unit_id in demo.items() if "/嘉园社区" in path]
    return [s for name, phone in JIAYUAN_PEOPLE for s in (name, phone, f"{phone[:3]}****{phone[-4:]}")
            if s in text] + [u for u in jiayuan_units if u in text]


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_search_people_by_another_communitys_secretary_returns_none_of_this_communitys_people(street):
    demo, outsider = street[1], street[0]["联福社区"]

    everyone = outsider.search_people(limit=200)
    by_name = outsider.search_people(name="康早新")
    by_unit_role = outsider.search_people(role="unit_leader")

    assert {p["name"] for p in everyone} == {"何涛", "李梅", "赵强"}
    assert by_name == [] and by_unit_role == []
    assert leaks([everyone, by_name, by_unit_role], demo) == []


def test_find_person_by_another_communitys_secretary_is_not_found_like_an_unknown_phone(street):
    outsider = street[0]["联福社区"]

    with pytest.raises(NotFound) as hidden:
        outsider.find_person(phone=KANG_PHONE)
    with pytest.raises(NotFound) as unknown:
        outsider.find_person(phone="13900009999")

    assert hidden.value.to_dict() == unknown.value.to_dict()


QUERIES = {
    "appointments": lambda d: {"node_id": find_place(d, "嘉园社区")},
    "children": lambda d: {"unit_id": find_place(d, "嘉园社区/金昌花园")},
    "responsible_chain": lambda d: {"unit_id": find_place(d, UNIT_2_1)},
    "coverage_gaps": lambda d: {"node_id": find_place(d, "嘉园社区"), "role": "unit_leader"},
    "on_duty": lambda d: {"community_id": find_place(d, "嘉园社区"), "date": "2026-03-02"},
    "get_unit": lambda d: {"unit_id": find_place(d, UNIT_2_1)},
    "locate_unit": lambda d: {"path": ["雨花区", "左家塘街道", "嘉园社区", "第一网格", "红花坡片区", "金昌花园"]},
    "register_person": lambda d: {"name": "王秀英", "phone": "13807318888", "home_unit_id": find_place(d, UNIT_2_1)},
}


@pytest.mark.parametrize("rpc", list(QUERIES))
def test_every_query_about_this_community_by_another_communitys_secretary_is_refused_naming_nothing(street, rpc):
    demo, outsider = street[1], street[0]["联福社区"]

    with pytest.raises(Forbidden) as refused:
        getattr(outsider, rpc)(**QUERIES[rpc](demo))

    assert [d["field"] for d in refused.value.details] == ["jurisdiction"]
    assert leaks(refused.value.to_dict(), demo) == []


def test_the_audit_of_reads_shows_another_communitys_secretary_none_of_the_reads_made_here(street):
    callers, insider, outsider = street[0], street[0]["嘉园社区"], street[0]["联福社区"]
    insider.search_people(name="康早新")
    outsider.search_people(name="赵强")

    theirs = outsider.pii_reads(date_from=today(), date_to=today())
    ours = insider.pii_reads(date_from=today(), date_to=today())

    assert {r["who"] for r in theirs} == {"何涛"} and "曾玉琴" in {r["who"] for r in ours}
    assert "何涛" not in {r["who"] for r in ours}
    kang = callers["ops"].find_person(phone=KANG_PHONE)["person_id"]
    assert kang not in str(theirs) and kang in str(ours)


def test_the_secretary_browses_their_community_with_phones_unmasked(street):
    demo, insider = street[1], street[0]["嘉园社区"]

    buildings = insider.children(unit_id=find_place(demo, "嘉园社区/金昌花园"))
    leaders = insider.appointments(node_id=find_place(demo, "嘉园社区/金昌花园"), role="unit_leader")
    kang = insider.find_person(phone=KANG_PHONE)

    assert [b["name"] for b in buildings] == ["1栋", "2栋", "3栋"]
    assert sorted((r["name"], r["phone"]) for r in leaders) == [
        ("周建强", "13807310006"), ("康早新", KANG_PHONE), ("苏瑞安", "13807310005")]
    assert (kang["name"], kang["phone"]) == ("康早新", KANG_PHONE)


def test_the_labels_name_roles_and_levels_in_chinese(street):
    labels = street[0]["联福社区"].labels()

    assert {r["code"]: r["label"] for r in labels["roles"]}["unit_leader"] == "单元长"
    assert {lv["code"]: lv["label"] for lv in labels["levels"]}["building"] == "楼栋"


def test_places_created_in_bulk_are_found_below_their_parent_and_a_repeat_creates_none(street):
    demo, insider = street[1], street[0]["嘉园社区"]
    estate = find_place(demo, "嘉园社区/名都凯旋城")
    tree = [{"name": "3栋", "level": "building", "children": [{"name": "1单元", "level": "unit"},
                                                              {"name": "2单元", "level": "unit"}]}]

    first = insider.create_units(parent_id=estate, units=tree)
    again = insider.create_units(parent_id=estate, units=tree)

    assert first["created"] == {"building": 1, "unit": 2} and again["existing"] == first["created"]
    assert [b["name"] for b in insider.children(unit_id=estate)] == ["1栋", "2栋", "3栋"]


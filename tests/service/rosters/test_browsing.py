"""Browsing the roster: a unit's children, the appointments under a node, a person found by
phone, the labels and the audit of unmasked reads, each as far as the caller's jurisdiction
reaches; a caller of another community gets a refusal that names nothing of the target."""

from datetime import UTC, datetime

import pytest

from services.rosters.demo import find_place
from services.rosters.exceptions import PersonNotFound
from shared.errors import Forbidden
from tests.service.rosters.conftest import kept
from tests.service.rosters.making import actor_at

JIAYUAN, LIANFU, JINCHANG = "嘉园社区", "联福社区", "嘉园社区/金昌花园"
JIAYUAN_LEADERS = {"曾玉琴", "刘红", "陈平", "康早新", "苏瑞安", "周建强", "王立"}
KANG_PHONE = "13807310004"


def secretary(street, place=JIAYUAN, who="曾玉琴"):
    return actor_at(street, who, "secretary", place)


def unit_leader(street, place=JIAYUAN):
    return actor_at(street, "苏瑞安", "unit_leader", place)


def outsider(street):
    """何涛, 片长 in 联福社区: another community altogether."""
    return actor_at(street, "何涛", "zone_leader", LIANFU)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_the_children_of_an_estate_are_its_buildings_by_name_with_their_leader_counts(service_as, street):
    children = service_as(unit_leader(street)).children(unit_id=find_place(street, JINCHANG))

    assert [(c["name"], c["level"], c["retired"]) for c in children] == [
        ("1栋", "building", False), ("2栋", "building", False), ("3栋", "building", False)]
    assert all(c["leaders"] == 0 for c in children)


def test_a_retired_child_is_listed_only_when_asked_for(service_as, street):
    service = service_as()
    for unit in ("1单元", "2单元"):
        service.retire_unit(unit_id=find_place(street, f"{JINCHANG}/3栋/{unit}"), reason="整栋拆迁")
    service.retire_unit(unit_id=find_place(street, f"{JINCHANG}/3栋"), reason="整栋拆迁")
    estate = find_place(street, JINCHANG)

    active = service.children(unit_id=estate)
    every = service.children(unit_id=estate, include_retired=True)

    assert [c["name"] for c in active] == ["1栋", "2栋"]
    assert [(c["name"], c["retired"]) for c in every][-1] == ("3栋", True)


def test_children_are_paged_with_limit_and_offset(service_as, street):
    page = service_as().children(unit_id=find_place(street, JINCHANG), limit=1, offset=1)

    assert [c["name"] for c in page] == ["2栋"]


def test_the_appointments_under_a_community_name_every_leader_with_phones_masked_for_a_leader(service_as, street):
    rows = service_as(unit_leader(street)).appointments(node_id=find_place(street, JIAYUAN))

    assert {r["name"] for r in rows} == JIAYUAN_LEADERS
    assert {r["status"] for r in rows} == {"appointed"}
    kang = next(r for r in rows if r["name"] == "康早新")
    assert (kang["phone"], kang["role"], kang["unit_name"]) == ("138****0004", "unit_leader", "1单元")
    assert kang["path"][-3:] == ["金昌花园", "2栋", "1单元"]


def test_appointments_at_the_node_alone_or_filtered_by_role_and_status(service_as, street):
    service = service_as()
    jiayuan = find_place(street, JIAYUAN)

    here = service.appointments(node_id=jiayuan, include_descendants=False)
    unit_leaders = service.appointments(node_id=jiayuan, role="unit_leader")
    ended = service.appointments(node_id=jiayuan, status="ended")

    assert [r["name"] for r in here] == ["曾玉琴"]
    assert {r["name"] for r in unit_leaders} == {"康早新", "苏瑞安", "周建强", "王立"}
    assert ended == []


def test_a_secretary_reads_appointments_with_phones_unmasked_and_the_read_is_audited(service_as, store, street):
    rows = service_as(secretary(street)).appointments(node_id=find_place(street, f"{JINCHANG}/2栋"))

    assert [(r["name"], r["phone"]) for r in rows] == [("康早新", KANG_PHONE)]
    [read] = list(store.pii_reads.coll.find({"actor.who": "曾玉琴"}))
    assert (read["rpc"], read["subjects"]) == ("appointments", [rows[0]["person_id"]])


@pytest.mark.parametrize("rpc, argument", [("children", "unit_id"), ("appointments", "node_id")])
def test_a_caller_of_another_community_is_refused_naming_nothing_and_nothing_is_written(
        service_as, street, db, rpc, argument):
    before = kept(db)

    with pytest.raises(Forbidden) as refused:
        getattr(service_as(outsider(street)), rpc)(**{argument: find_place(street, JIAYUAN)})

    assert [d["field"] for d in refused.value.details] == ["jurisdiction"]
    assert find_place(street, JIAYUAN) not in str(refused.value.to_dict())
    assert kept(db) == before


def test_a_person_is_found_by_phone_masked_for_a_leader_and_unmasked_for_a_secretary(service_as, street):
    as_leader = service_as(unit_leader(street)).find_person(phone=KANG_PHONE)
    as_secretary = service_as(secretary(street)).find_person(phone=KANG_PHONE)

    assert (as_leader["name"], as_leader["phone"]) == ("康早新", "138****0004")
    assert as_secretary["phone"] == KANG_PHONE
    assert "places" not in as_secretary


def test_a_person_of_another_community_is_not_found_exactly_as_an_unknown_phone_is(service_as, street):
    service = service_as(actor_at(street, "何涛", "secretary", LIANFU))

    with pytest.raises(PersonNotFound) as hidden:
        service.find_person(phone=KANG_PHONE)
    with pytest.raises(PersonNotFound) as unknown:
        service.find_person(phone="13900009999")

    assert hidden.value.to_dict() == unknown.value.to_dict()


def test_the_labels_give_every_role_level_and_status_its_chinese_name(service_as):
    labels = service_as().labels()

    roles = {r["code"]: r["label"] for r in labels["roles"]}
    levels = {lv["code"]: lv["label"] for lv in labels["levels"]}
    assert (roles["unit_leader"], roles["building_leader"], roles["grid_leader"], roles["grid_worker"],
            roles["zone_leader"], roles["secretary"], roles["alley_steward"]) == (
        "单元长", "楼栋长", "网格长", "网格员", "片长", "书记", "小巷管家")
    assert [lv["label"] for lv in labels["levels"]] == [
        "区", "街道", "社区", "网格", "片区", "小区", "巷", "楼栋", "单元", "户"]
    assert levels["estate"] == "小区"
    assert [s["code"] for s in labels["statuses"]] == ["applicant", "screened", "appointed", "ended"]


def test_a_secretary_lists_the_unmasked_reads_made_inside_their_jurisdiction_and_no_others(service_as, street):
    service_as(secretary(street)).search_people(name="康")
    service_as(actor_at(street, "刘红", "grid_worker", "第一网格")).search_people(name="刘")
    service_as(secretary(street, LIANFU, "何涛")).search_people(name="赵")

    seen_by_jiayuan = service_as(secretary(street)).pii_reads(date_from=today(), date_to=today())
    seen_by_lianfu = service_as(secretary(street, LIANFU, "何涛")).pii_reads(date_from=today(), date_to=today())
    seen_by_root = service_as().pii_reads(date_from=today(), date_to=today())

    assert sorted(r["who"] for r in seen_by_jiayuan) == ["刘红", "曾玉琴"]
    assert [r["who"] for r in seen_by_lianfu] == ["何涛"]
    assert {"何涛", "刘红", "曾玉琴", "ops"} == {r["who"] for r in seen_by_root}  # ops loaded the street
    assert all(r["rpc"] == "search_people" and r["person_ids"] for r in seen_by_jiayuan + seen_by_lianfu)


def test_the_reads_are_kept_to_the_period_and_to_the_reader_asked_for(service_as, street):
    service_as(secretary(street)).search_people(name="康")
    service_as(actor_at(street, "刘红", "grid_worker", "第一网格")).search_people(name="刘")
    service = service_as(secretary(street))

    by_liu = service.pii_reads(date_from=today(), date_to=today(), who="刘红")
    last_year = service.pii_reads(date_from="2025-01-01", date_to="2025-12-31")

    assert [r["who"] for r in by_liu] == ["刘红"]
    assert last_year == []


@pytest.mark.parametrize("role", ["unit_leader", "property_company", "resident"])
def test_only_the_community_office_or_root_may_list_the_reads(service_as, street, role):
    with pytest.raises(Forbidden) as refused:
        service_as(actor_at(street, "苏瑞安", role, JIAYUAN)).pii_reads(date_from=today(), date_to=today())

    assert refused.value.details[0]["field"] == "role"


def test_the_people_of_a_place_are_those_living_or_appointed_at_it_or_below_it(service_as, street):
    service = service_as(secretary(street))
    estate, community = find_place(street, JINCHANG), find_place(street, JIAYUAN)

    in_estate = {p["name"] for p in service.search_people(place_id=estate, limit=200)}
    in_community = {p["name"] for p in service.search_people(place_id=community, limit=200)}
    appointed_in_estate = {r["name"] for r in service.appointments(node_id=estate)}
    with pytest.raises(Forbidden) as refused:
        service.search_people(place_id=find_place(street, LIANFU))

    assert appointed_in_estate and appointed_in_estate <= in_estate < in_community <= JIAYUAN_LEADERS | in_community
    assert {r["name"] for r in service.appointments(node_id=community)} <= in_community
    assert [d["field"] for d in refused.value.details] == ["jurisdiction"]


def test_people_are_found_by_id_as_far_as_the_caller_sees_them(service_as, street):
    everyone = service_as().search_people(place_id=find_place(street, JIAYUAN), limit=200)
    ids = [p["person_id"] for p in everyone[:3]]
    outsider_ids = [p["person_id"] for p in service_as().search_people(place_id=find_place(street, LIANFU), limit=2)]

    found = service_as(secretary(street)).search_people(person_ids=[*ids, *outsider_ids, "person_unknown"])

    assert sorted(p["person_id"] for p in found) == sorted(ids)

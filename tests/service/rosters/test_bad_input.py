"""Every rosters RPC refuses bad input naming the field before anything is read, written or
published: its worker runs on a database and a broker that die at the first touch. (The bad
input that only the data can reveal, such as an unknown parent, is in
tests/integration/rosters/test_bad_input.py.)"""

import pytest

from services.rosters.service import RostersService
from shared.errors import ValidationFailed
from tests.conftest import rpc_names
from tests.fakes.mongo import Died, FakeDatabase, Fuse
from tests.service.rosters.conftest import Broker, process

JIAYUAN = "unit_jiayuan"  # 嘉园社区
JINCHANG = "unit_jinchang"  # 嘉园社区/金昌花园
UNIT = "unit_jc2_1"  # 嘉园社区/金昌花园/2栋/1单元
NEW_BUILDING = {"parent_id": JINCHANG, "name": "4栋", "level": "building"}
COMMUNITY = {"parent_id": "unit_zuojiatang", "name": "新社区", "level": "community"}
TERM = {"appointment_id": "appt_kang", "certificate_no": "JY-0004", "term_start": "2023-01-01",
        "term_end": "2025-12-31"}
NEW_PLACE = {"name": "4栋", "level": "building"}


def nested(depth: int) -> list[dict]:
    """A tree of new places `depth` levels deep, one place on each."""
    units: list[dict] = []
    for _ in range(depth):
        units = [{"name": "某地", "level": "unit", "children": units}]
    return units


ROSTER = {"community_id": JIAYUAN, "filename": "roster.csv", "content_base64": "5aeT5ZCNLOaJi+acuuWPtw=="}


class Untouchable(Fuse):
    """Dies at any call at all: nothing may be read, written or published."""

    def check(self, collection: str, operation: str) -> None:
        raise Died(f"{operation} on {collection} before the input was refused")


# rpc, arguments, the field named
ROWS = [
    ("create_unit", {"name": "4栋"}, "level"),
    ("create_unit", {**NEW_BUILDING, "name": 42}, "name"),
    ("create_unit", {**NEW_BUILDING, "name": "栋" * 101}, "name"),
    ("create_unit", {**NEW_BUILDING, "level": "tower"}, "level"),
    ("create_unit", {**NEW_BUILDING, "colour": "red"}, "colour"),
    ("create_unit", {**NEW_BUILDING, "config": {"levels": ["unit"]}}, "config"),
    ("create_unit", {**NEW_BUILDING, "facts": {"has_property_company": False}}, "facts"),
    ("create_unit", {"parent_id": None, "name": "嘉园社区", "level": "community", "config": {"levels": ["tower"]}},
     "config.levels.0"),
    ("create_unit", {"name": "某区", "level": "street"}, "parent_id"),  # only a district is a root
    ("create_unit", {**NEW_BUILDING, "request_id": ""}, "request_id"),
    ("create_unit", {**NEW_BUILDING, "name": "   "}, "name"),
    ("create_unit", {**NEW_BUILDING, "name": "\u3000\u200b"}, "name"),  # an ideographic space, a zero-width one
    ("create_unit", {**NEW_BUILDING, "parent_id": "u" * 81}, "parent_id"),
    ("create_unit", {**COMMUNITY, "config": {"roles": {f"role_{n:c}{m:c}": ["unit"] for n in b"abc" for m in
                                                       b"abcdefghijklmnopqrs"}}}, "config.roles"),  # 57 roles
    ("create_unit", {**COMMUNITY, "config": {"levels": ["grid"] * 11}}, "config.levels"),
    ("create_unit", {**COMMUNITY, "config": {"roles": {"unit_leader": ["unit"] * 11}}},
     "config.roles.unit_leader.value"),
    ("create_unit", {**COMMUNITY, "config": {"roles": {"unit_leader\n": ["unit"]}}}, "config.roles.unit_leader\n.key"),
    ("get_unit", {}, "unit_id"),
    ("get_unit", {"unit_id": "u" * 81}, "unit_id"),
    ("locate_unit", {"path": "嘉园社区"}, "path"),
    ("locate_unit", {"path": []}, "path"),
    ("rename_unit", {"unit_id": UNIT, "name": ""}, "name"),
    ("rename_unit", {"unit_id": UNIT, "name": " \t "}, "name"),
    ("rename_unit", {"unit_id": UNIT, "name": "一单元", "request_id": "r" * 101}, "request_id"),
    ("move_unit", {"unit_id": JINCHANG}, "new_parent_id"),
    ("retire_unit", {"unit_id": UNIT}, "reason"),
    ("retire_unit", {"unit_id": UNIT, "reason": ""}, "reason"),
    ("set_estate_facts", {"unit_id": JINCHANG, "has_property_company": "maybe"}, "has_property_company"),
    ("set_estate_facts", {"unit_id": JINCHANG}, "has_property_company"),
    ("register_person", {"name": "王五"}, "phone"),
    ("register_person", {"name": "王五", "phone": "1380731"}, "phone"),
    ("register_person", {"name": "王五", "phone": "13807310099\n"}, "phone"),
    ("register_person", {"name": "\u3000", "phone": "13807310099"}, "name"),
    ("register_person", {"name": "王五", "phone": "13807310099", "id_number": "43010419800101001X\n"}, "id_number"),
    ("register_person", {"name": "王五", "phone": "13807310099", "skills": ["理发"] * 21}, "skills"),
    ("register_person", {"name": "王五", "phone": "13807310099", "interests": ["象棋"] * 21}, "interests"),
    ("register_person", {"name": "王五", "phone": "13807310099", "home_unit_id": "u" * 81}, "home_unit_id"),
    ("register_person", {"name": "王五", "phone": "13807310099", "id_number": "123"}, "id_number"),
    ("register_person", {"name": "王五", "phone": "13807310099", "skills": [""]}, "skills.0"),
    ("apply", {"person_id": "person_kang", "unit_id": UNIT}, "role"),
    ("apply", {"person_id": "person_kang", "unit_id": UNIT, "role": "单元长"}, "role"),
    ("apply", {"person_id": "person_kang", "unit_id": UNIT, "role": "unit_leader\n"}, "role"),
    ("screen", {"appointment_id": "appt_kang"}, "passed"),
    ("screen", {"appointment_id": "appt_kang", "passed": "yes please"}, "passed"),
    ("appoint", {**TERM, "term_end": "2022-12-31"}, "term_end"),
    ("appoint", {**TERM, "certificate_no": ""}, "certificate_no"),
    ("appoint", {**TERM, "term_start": "2023-02-30"}, "term_start"),
    ("end_appointment", {"appointment_id": "appt_kang", "reason": "bored"}, "reason"),
    ("end_appointment", {"appointment_id": "appt_kang", "reason": "resigned", "note": "辞" * 501}, "note"),
    ("responsible_chain", {"unit_id": 7}, "unit_id"),
    ("unit_cache_status", {"verbose": True}, "verbose"),
    ("journal_state", {"verbose": True}, "verbose"),
    ("set_duty", {"community_id": JIAYUAN, "entries": [{"date": "tomorrow", "person_id": "person_zeng"}]},
     "entries.0.date"),
    ("set_duty", {"community_id": JIAYUAN, "entries": []}, "entries"),
    ("on_duty", {"community_id": JIAYUAN, "date": "2026-13-01"}, "date"),
    ("coverage_gaps", {"node_id": JINCHANG, "role": "Astronaut!"}, "role"),
    ("coverage_gaps", {"role": "unit_leader"}, "node_id"),
    ("search_people", {"limit": 0}, "limit"),
    ("search_people", {"limit": 201}, "limit"),
    ("search_people", {"offset": -1}, "offset"),
    ("search_people", {"offset": 2**63}, "offset"),
    ("search_people", {"party_member": "maybe"}, "party_member"),
    ("search_people", {"role": "unit_leader\n"}, "role"),
    ("search_people", {"unit_id": "u" * 81}, "unit_id"),
    ("import_roster", {**ROSTER, "filename": "roster.pdf"}, "filename"),
    ("import_roster", {**ROSTER, "content_base64": "!!notbase64"}, "content_base64"),
    ("import_roster", {**ROSTER, "job_id": "a/b"}, "job_id"),
    ("import_roster", {**ROSTER, "job_id": "job_0001\n"}, "job_id"),
    ("import_roster", {**ROSTER, "filename": "roster.csv\n"}, "filename"),
    ("import_roster", {**ROSTER, "filename": "../roster.csv"}, "filename"),
    ("import_roster", {**ROSTER, "filename": "名" * 197 + ".csv"}, "filename"),
    ("import_roster", {"filename": "roster.csv", "content_base64": ROSTER["content_base64"]}, "node_id"),
    ("import_roster", {**ROSTER, "node_id": JIAYUAN}, "community_id"),
    ("import_roster", {**ROSTER, "create_places": "maybe"}, "create_places"),
    ("import_roster", {**ROSTER, "dry_run": "perhaps"}, "dry_run"),
    ("import_roster", {**ROSTER, "content_base64": "QUJD" * 7_000_000}, "content_base64"),  # over 20 MB
    ("import_status", {}, "job_id"),
    ("import_report", {}, "job_id"),
    ("import_report", {"job_id": "j" * 81}, "job_id"),
    ("children", {}, "unit_id"),
    ("children", {"unit_id": UNIT, "include_retired": "maybe"}, "include_retired"),
    ("children", {"unit_id": UNIT, "limit": 201}, "limit"),
    ("appointments", {"role": "unit_leader"}, "node_id"),
    ("appointments", {"node_id": JIAYUAN, "status": "retired"}, "status"),
    ("appointments", {"node_id": JIAYUAN, "offset": -1}, "offset"),
    ("appointments", {"node_id": JIAYUAN, "include_descendants": "all"}, "include_descendants"),
    ("create_units", {"parent_id": JINCHANG, "units": []}, "units"),
    ("create_units", {"parent_id": JINCHANG}, "units"),
    ("create_units", {"parent_id": JINCHANG, "units": [{"name": "4栋"}]}, "units.0.level"),
    ("create_units", {"parent_id": JINCHANG, "units": [{**NEW_PLACE, "children": [{"name": "", "level": "unit"}]}]},
     "units.0.children.0.name"),
    ("create_units", {"parent_id": JINCHANG, "units": [{**NEW_PLACE, "config": {"levels": ["unit"]}}]},
     "units.0.config"),
    ("create_units", {"parent_id": JINCHANG, "units": [{**NEW_PLACE, "colour": "red"}]}, "units.0.colour"),
    ("create_units", {"parent_id": JINCHANG, "units": [NEW_PLACE] * 2001}, "units"),
    ("create_units", {"parent_id": JINCHANG, "units": nested(11)}, "units"),
    ("create_units", {"parent_id": JINCHANG, "units": nested(5000)}, "units"),
    ("find_person", {}, "phone"),
    ("find_person", {"phone": "1380731000"}, "phone"),
    ("find_person", {"phone": "13807310004\n"}, "phone"),
    ("pii_reads", {"date_from": "2026-03-02"}, "date_to"),
    ("pii_reads", {"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to"),
    ("pii_reads", {"date_from": "2026-03-02", "date_to": "9999-12-31"}, "date_to"),
    ("pii_reads", {"date_from": "2026-03-02", "date_to": "2026-03-02", "limit": 0}, "limit"),
    ("pii_reads", {"date_from": "2026-03-02", "date_to": "2026-03-02", "who": ""}, "who"),
    ("labels", {"verbose": True}, "verbose"),
]


def test_the_table_covers_every_rosters_rpc():
    assert {rpc for rpc, *_ in ROWS} == rpc_names(RostersService)


@pytest.mark.parametrize(("rpc", "arguments", "field"), ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_bad_input_is_refused_naming_the_field_before_anything_is_read_written_or_published(
        service_as, clock, rpc, arguments, field):
    db = FakeDatabase(Untouchable())
    service = service_as(on=process(db, Broker(db.fuse), clock))

    with pytest.raises(ValidationFailed) as raised:
        getattr(service, rpc)(**arguments)

    assert field in raised.value.fields, raised.value.to_dict()

"""Every rosters RPC rejects bad input with a structured error and leaves the data as it was,
through the real entrypoints on the real broker and database: the input only the data can
reveal as bad (an unknown unit, a level or role that does not fit the place, a step the status
does not allow), and one row for each RPC that has none of those. Input refused before anything
is read is covered, row by row, in tests/service/rosters/test_bad_input.py."""


import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.demo import find_place, load_demo
from services.rosters.service import RostersService
from shared.errors import LinliError
from shared.ids import new_id
from shared.mongo import mongo_client
from tests.conftest import actor_context, rpc_names, service_config
from tests.integration.snapshots import settled_digest

JC = "嘉园社区/金昌花园"
UNIT = "嘉园社区/金昌花园/2栋/1单元"

# rpc, arguments ("@place" means the id of that demo place), expected code, expected field
CASES = [
    ("create_unit", {"parent_id": f"@{JC}", "name": "4栋", "level": "community"}, "invalid", "level"),
    ("create_unit", {"parent_id": "unit_nowhere", "name": "4栋", "level": "building"}, "not_found", "parent_id"),
    ("get_unit", {}, "invalid", "unit_id"),
    ("rename_unit", {"unit_id": f"@{UNIT}", "name": ""}, "invalid", "name"),
    ("move_unit", {"unit_id": f"@{JC}", "new_parent_id": f"@{JC}/2栋"}, "conflict", "new_parent_id"),
    ("move_unit", {"unit_id": f"@{JC}", "new_parent_id": f"@{JC}"}, "conflict", "new_parent_id"),
    ("move_unit", {"unit_id": f"@{JC}/2栋", "new_parent_id": f"@{UNIT}"}, "conflict", "new_parent_id"),
    ("move_unit", {"unit_id": f"@{JC}/2栋", "new_parent_id": "unit_nowhere"}, "not_found", "new_parent_id"),
    ("retire_unit", {"unit_id": f"@{UNIT}"}, "invalid", "reason"),
    ("set_estate_facts", {"unit_id": f"@{UNIT}", "has_property_company": True}, "invalid", "unit_id"),
    ("register_person", {"name": "王五", "phone": "13807310099", "home_unit_id": "unit_no"},
     "not_found", "home_unit_id"),
    ("apply", {"person_id": "person_no", "unit_id": f"@{UNIT}", "role": "unit_leader"}, "not_found", "person_id"),
    ("apply", {"person_id": "@康早新", "unit_id": f"@{UNIT}", "role": "mayor"}, "invalid", "role"),
    ("apply", {"person_id": "@康早新", "unit_id": f"@{JC}", "role": "unit_leader"}, "invalid", "role"),
    ("apply", {"person_id": "@康早新", "unit_id": "@左家塘街道", "role": "unit_leader"}, "invalid", "unit_id"),
    ("screen", {"appointment_id": "appt_no", "passed": True}, "not_found", "appointment_id"),
    ("appoint", {"appointment_id": "@appointment", "certificate_no": "A", "term_start": "2025-01-01",
                 "term_end": "2026-01-01"}, "invalid_transition", "status"),
    ("appoint", {"appointment_id": "@appointment", "certificate_no": "A\ud800", "term_start": "2025-01-01",
                 "term_end": "2026-01-01"}, "invalid", "certificate_no"),
    ("end_appointment", {"appointment_id": "@appointment", "reason": "bored"}, "invalid", "reason"),
    ("locate_unit", {"path": ["雨花区", "无此街道"]}, "not_found", "path"),
    ("unit_cache_status", {"verbose": True}, "invalid", "verbose"),
    ("journal_state", {"verbose": True}, "invalid", "verbose"),
    ("responsible_chain", {"unit_id": "unit_nowhere"}, "not_found", "unit_id"),
    ("set_duty", {"community_id": "@嘉园社区", "entries": [{"date": "2026-11-25", "person_id": "p_no"}]},
     "invalid", "entries.person_id"),
    ("set_duty", {"community_id": f"@{JC}", "entries": [{"date": "2026-11-25", "person_id": "@康早新"}]},
     "invalid", "community_id"),
    ("on_duty", {"community_id": "@嘉园社区", "date": "2026-13-01"}, "invalid", "date"),
    ("coverage_gaps", {"node_id": f"@{JC}", "role": "astronaut"}, "invalid", "role"),
    ("search_people", {"limit": 0}, "invalid", "limit"),
    ("import_roster", {"community_id": "@嘉园社区", "filename": "roster.xlsx", "content_base64": "AAAA"},
     "invalid", "content_base64"),
    ("import_roster", {"node_id": f"@{JC}", "filename": "roster.csv", "content_base64": "5aeT5ZCNLOaJi+acuuWPtw=="},
     "invalid", "node_id"),
    ("import_roster", {"node_id": "unit_nowhere", "filename": "roster.csv", "content_base64": "AAAA"},
     "not_found", "node_id"),
    ("import_roster", {"node_id": "@嘉园社区", "filename": "roster.csv",
                       "content_base64": "5aeT5ZCNLOaJi+acuuWPtw=="}, "invalid", "content_base64"),
    ("import_status", {"job_id": "import_none"}, "not_found", "job_id"),
    ("children", {"unit_id": "unit_nowhere"}, "not_found", "unit_id"),
    ("appointments", {"node_id": "unit_nowhere"}, "not_found", "node_id"),
    ("appointments", {"node_id": "@嘉园社区", "status": "retired"}, "invalid", "status"),
    ("create_units", {"parent_id": f"@{JC}", "units": [{"name": "4栋", "level": "building", "children": [
        {"name": "1单元", "level": "building"}]}]}, "invalid", "units.0.children.0.level"),
    ("create_units", {"parent_id": f"@{JC}/2栋", "units": [{"name": "1单元", "level": "household"}]},
     "conflict", "units.0.level"),
    ("create_units", {"parent_id": "unit_nowhere", "units": [{"name": "4栋", "level": "building"}]},
     "not_found", "parent_id"),
    ("find_person", {"phone": "13900009999"}, "not_found", "phone"),
    ("pii_reads", {"date_from": "2026-03-02", "date_to": "2026-03-01"}, "invalid", "date_to"),
    ("labels", {"verbose": True}, "invalid", "verbose"),
    ("import_report", {"job_id": "import_none"}, "not_found", "job_id"),
]


@pytest.fixture(scope="module")
def running(stack):
    """One rosters service with the demo street for the whole table: a bad call changes
    nothing, so the rows can share it."""
    name = new_id("test").replace("_", "")
    container = ServiceContainer(RostersService, service_config(stack, ROSTERS_DB=name))
    container.start()
    client = mongo_client(stack.mongo_uri)
    with ClusterRpcProxy(service_config(stack), context_data=actor_context(), timeout=20) as rpc:
        demo = load_demo(rpc.rosters)
        [kang] = rpc.rosters.search_people(name="康早新")
        appointment = rpc.rosters.apply(person_id=kang["person_id"], unit_id=find_place(demo, UNIT),
                                        role="unit_leader")
        refs = {"康早新": kang["person_id"], "appointment": appointment["appointment_id"]}
        journal = next(d for d in container.dependencies if d.attr_name == "store").store.journal
        yield rpc.rosters, demo, refs, client[name], journal
    container.stop()
    client.drop_database(name)
    client.close()


def resolve(value, demo, refs):
    if isinstance(value, str) and value.startswith("@"):
        return refs.get(value[1:]) or find_place(demo, value[1:])
    if isinstance(value, list):
        return [resolve(v, demo, refs) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, demo, refs) for k, v in value.items()}
    return value


def test_the_table_covers_every_rosters_rpc():
    assert {rpc for rpc, *_ in CASES} == rpc_names(RostersService)


@pytest.mark.parametrize("rpc, arguments, code, field", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_bad_input_gets_a_structured_error_and_changes_nothing(running, rpc, arguments, code, field):
    rosters, demo, refs, db, journal = running
    before = settled_digest(db, journal)

    with pytest.raises(LinliError) as exc:
        getattr(rosters, rpc)(**resolve(arguments, demo, refs))

    assert exc.value.code == code, exc.value.to_dict()
    assert field in [d["field"] for d in exc.value.details], exc.value.to_dict()
    assert settled_digest(db, journal) == before

"""Two rosters instances with long-lived unit caches: a change made through one shows through
the other as soon as its `unit_changed` event arrives, long before the cache would expire."""

import time
from collections.abc import Callable

import pytest
from nameko.testing.services import entrypoint_hook

from services.rosters.demo import find_place, load_demo
from services.rosters.service import RostersService
from tests.conftest import actor_context, service_config
from tests.events import EventTap

JINCHANG_2_1 = "嘉园社区/金昌花园/2栋/1单元"


@pytest.fixture
def two_instances(stack, container_factory, rosters_db):
    config = service_config(stack, ROSTERS_DB=rosters_db.name, CHAIN_CACHE_SECONDS=600)
    instances = [container_factory(RostersService, config), container_factory(RostersService, config)]
    for instance in instances:
        instance.start()
    return instances


@pytest.fixture
def demo_street(two_instances, rpc_as):
    return load_demo(rpc_as().rosters)


def call(instance, method: str, **arguments):
    """Call one instance's RPC entrypoint directly, as an admin."""
    with entrypoint_hook(instance, method, context_data=actor_context()) as entrypoint:
        return entrypoint(**arguments)


def eventually(read: Callable[[], object], expected: object, timeout: float = 5) -> object:
    deadline = time.monotonic() + timeout
    while (seen := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return seen


def test_a_building_renamed_through_one_instance_shows_in_the_other_instances_chain(two_instances, demo_street):
    first, second = two_instances
    unit_id = find_place(demo_street, JINCHANG_2_1)
    assert call(second, "responsible_chain", unit_id=unit_id)[1]["name"] == "2栋"

    call(first, "rename_unit", unit_id=find_place(demo_street, "嘉园社区/金昌花园/2栋"), name="二栋")

    assert eventually(lambda: call(second, "responsible_chain", unit_id=unit_id)[1]["name"], "二栋") == "二栋"
    assert call(second, "get_unit", unit_id=unit_id)["path"][-2:] == ["二栋", "1单元"]


def test_a_leader_appointed_through_one_instance_shows_in_the_other_instances_chain(two_instances, demo_street):
    first, second = two_instances
    unit_id = find_place(demo_street, "嘉园社区/金昌花园/1栋/2单元")
    assert call(second, "responsible_chain", unit_id=unit_id)[0]["leaders"] == []
    person = call(first, "register_person", name="罗小兰", phone="13807319999")
    appointment = call(first, "apply", person_id=person["person_id"], unit_id=unit_id, role="unit_leader")
    call(first, "screen", appointment_id=appointment["appointment_id"], passed=True)

    call(first, "appoint", appointment_id=appointment["appointment_id"], certificate_no="JY-0099",
         term_start="2024-01-01", term_end="2026-12-31")

    def leaders() -> list[str]:
        return [p["name"] for p in call(second, "responsible_chain", unit_id=unit_id)[0]["leaders"]]

    assert eventually(leaders, ["罗小兰"]) == ["罗小兰"]


def test_estate_facts_set_through_one_instance_show_in_the_other_instances_chain(stack, two_instances, demo_street):
    first, second = two_instances
    unit_id = find_place(demo_street, JINCHANG_2_1)
    call(second, "responsible_chain", unit_id=unit_id)
    tap = EventTap(stack.amqp_uri, "rosters", ["unit_changed"])

    call(first, "set_estate_facts", unit_id=find_place(demo_street, "嘉园社区/金昌花园"),
         has_property_company=True, property_company="金昌物业", property_contact="0731-85550000")

    assert eventually(lambda: call(second, "responsible_chain", unit_id=unit_id)[2]["facts"].get(
        "property_company"), "金昌物业") == "金昌物业"
    [event] = tap.wait_for(1)
    assert event["payload"] == {"unit_id": find_place(demo_street, "嘉园社区/金昌花园"),
                                "community_id": find_place(demo_street, "嘉园社区"), "change": "facts_set",
                                "subtree": False}


def test_a_preloading_instance_serves_chains_from_memory_and_its_next_load_picks_up_any_change(
        stack, container_factory, rosters_db, rpc_as, two_instances):
    demo = load_demo(rpc_as().rosters)
    unit_id = find_place(demo, JINCHANG_2_1)
    slow, fast = (container_factory(RostersService, service_config(
        stack, ROSTERS_DB=rosters_db.name, UNIT_CACHE_PRELOAD=True, CHAIN_CACHE_SECONDS=seconds))
        for seconds in (600, 1))
    for instance in (slow, fast):
        instance.start()
    units_stored = rosters_db.units.count_documents({})
    def units_loaded(instance) -> int | None:
        return (call(instance, "unit_cache_status")["last_load"] or {}).get("units")

    assert eventually(lambda: [units_loaded(slow), units_loaded(fast)], [units_stored] * 2) == [units_stored] * 2

    rosters_db.units.update_one({"_id": find_place(demo, "嘉园社区/金昌花园/2栋")}, {"$set": {"name": "二栋"}})

    assert call(slow, "responsible_chain", unit_id=unit_id)[1]["name"] == "2栋"
    assert eventually(lambda: call(fast, "responsible_chain", unit_id=unit_id)[1]["name"], "二栋") == "二栋"

"""The unit cache: what it keeps, what a change makes it forget, and reads that raced a change."""

import bson
from bson.raw_bson import RawBSONDocument

from services.rosters.commands import unit_changed
from services.rosters.repository import Units
from services.rosters.unitcache import FORGET_LOG, UnitCache

JIAYUAN = {"_id": "unit_jiayuan", "name": "嘉园社区", "level": "community", "community_id": "unit_jiayuan",
           "ancestors": ["unit_yuhua", "unit_zuojiatang"], "leaders": []}
JINCHANG = {"_id": "unit_jinchang", "name": "金昌花园", "level": "estate", "community_id": "unit_jiayuan",
            "ancestors": [*JIAYUAN["ancestors"], "unit_jiayuan"], "leaders": []}
BUILDING_2 = {"_id": "unit_jc2", "name": "2栋", "level": "building", "community_id": "unit_jiayuan",
              "ancestors": [*JINCHANG["ancestors"], "unit_jinchang"], "leaders": []}
UNIT_2_1 = {"_id": "unit_jc2_1", "name": "1单元", "level": "unit", "community_id": "unit_jiayuan",
            "ancestors": [*BUILDING_2["ancestors"], "unit_jc2"], "leaders": []}
ABOVE = [{"_id": "unit_yuhua", "name": "雨花区", "level": "district", "ancestors": []},
         {"_id": "unit_zuojiatang", "name": "左家塘街道", "level": "street", "ancestors": ["unit_yuhua"]}]


class FakeUnitsCollection:
    """Answers `find_one({"_id": ...})` and counts the reads."""

    name = "units"

    def __init__(self, docs: list[dict]):
        self.docs = {d["_id"]: dict(d) for d in docs}
        self.reads: list[str] = []

    def find_one(self, query: dict) -> dict | None:
        self.reads.append(query["_id"])
        return self.docs.get(query["_id"])


def units_with_cache(seconds: float = 60) -> tuple[Units, FakeUnitsCollection]:
    collection = FakeUnitsCollection([*ABOVE, JIAYUAN, JINCHANG, BUILDING_2, UNIT_2_1])
    return Units(collection, journal=None, cache=UnitCache(seconds)), collection


def test_a_unit_read_once_is_served_from_the_cache_afterwards():
    units, collection = units_with_cache()

    first, second = units.cached("unit_jc2_1"), units.cached("unit_jc2_1")

    assert first == second == UNIT_2_1
    assert collection.reads == ["unit_jc2_1"]


def test_the_chain_reads_only_the_ancestors_up_to_the_community():
    units, collection = units_with_cache()

    ancestors = units.chain_ancestors(UNIT_2_1)

    assert set(ancestors) == {"unit_jiayuan", "unit_jinchang", "unit_jc2"}
    assert sorted(collection.reads) == ["unit_jc2", "unit_jiayuan", "unit_jinchang"]


def test_cached_ancestors_are_not_read_again():
    units, collection = units_with_cache()
    units.chain_ancestors(UNIT_2_1)
    collection.reads.clear()

    units.chain_ancestors(UNIT_2_1)

    assert collection.reads == []


def test_with_caching_disabled_every_read_goes_to_the_database():
    units, collection = units_with_cache(seconds=0)

    units.cached("unit_jc2_1")
    units.cached("unit_jc2_1")

    assert collection.reads == ["unit_jc2_1", "unit_jc2_1"]


def test_forgetting_a_unit_makes_the_next_read_go_to_the_database():
    units, collection = units_with_cache()
    units.cached("unit_jc2")
    collection.docs["unit_jc2"]["name"] = "二栋"

    units.forget("unit_jc2")

    assert units.cached("unit_jc2")["name"] == "二栋"


def test_forgetting_a_subtree_drops_the_cached_units_below_it_and_keeps_the_rest():
    cache = UnitCache(60)
    for unit in (JIAYUAN, JINCHANG, BUILDING_2, UNIT_2_1):
        cache.put(unit, cache.stamp())

    cache.forget("unit_jinchang", subtree=True)

    assert [cache.get(u["_id"]) is not None for u in (JIAYUAN, JINCHANG, BUILDING_2, UNIT_2_1)] == [
        True, False, False, False]


def test_a_read_that_overlapped_a_change_is_not_kept():
    cache = UnitCache(60)
    stamp = cache.stamp()

    cache.forget("unit_jc2")
    cache.put(BUILDING_2, stamp)

    assert cache.get("unit_jc2") is None


def test_an_entry_older_than_the_time_to_live_is_gone():
    now = [1000.0]
    cache = UnitCache(60, clock=lambda: now[0])
    cache.put(BUILDING_2, cache.stamp())

    now[0] += 61

    assert cache.get("unit_jc2") is None


def test_past_its_size_the_cache_drops_the_unit_stored_longest_ago():
    cache = UnitCache(60, max_entries=2)

    for unit in (JINCHANG, BUILDING_2, UNIT_2_1):
        cache.put(unit, cache.stamp())

    assert cache.get("unit_jinchang") is None and len(cache) == 2


def test_a_unit_changed_event_names_the_unit_its_community_and_the_change():
    event = unit_changed(JINCHANG, "renamed", {"who": "苏瑞安", "role": "secretary", "jurisdiction": []}, subtree=True)

    assert event["type"] == "unit_changed"
    assert event["payload"] == {"unit_id": "unit_jinchang", "community_id": "unit_jiayuan", "change": "renamed",
                                "subtree": True}


def test_a_cached_unit_is_handed_out_as_a_fresh_copy_each_time():
    cache = UnitCache(60)
    cache.put(BUILDING_2, cache.stamp())

    cache.get("unit_jc2")["name"] = "changed by a caller"

    assert cache.get("unit_jc2") == BUILDING_2


def test_a_read_that_overlapped_a_change_of_another_unit_is_kept():
    cache = UnitCache(60)
    stamp = cache.stamp()

    cache.forget("unit_jinchang")
    cache.put(BUILDING_2, stamp)

    assert cache.get("unit_jc2") == BUILDING_2


def test_a_read_that_overlapped_a_subtree_change_above_it_is_not_kept():
    cache = UnitCache(60)
    stamp = cache.stamp()

    cache.forget("unit_jinchang", subtree=True)

    assert cache.put(BUILDING_2, stamp) is False and cache.get("unit_jc2") is None


def test_a_read_older_than_the_log_of_forgotten_units_is_not_kept():
    cache = UnitCache(60)
    stamp = cache.stamp()

    for n in range(FORGET_LOG + 1):
        cache.forget(f"unit_other_{n}")

    assert cache.put(BUILDING_2, stamp) is False


def test_a_unit_stored_with_a_longer_life_outlives_the_default():
    now = [1000.0]
    cache = UnitCache(60, clock=lambda: now[0])
    cache.put(BUILDING_2, cache.stamp(), lifetime=120)

    now[0] += 100

    assert cache.get("unit_jc2") == BUILDING_2


class FakeRawUnitsCollection(FakeUnitsCollection):
    """Also answers a whole-collection `find`, as raw BSON documents like the real one."""

    def with_options(self, codec_options):
        assert codec_options.document_class is RawBSONDocument
        return self

    def find(self, query: dict, batch_size: int):
        assert query == {}
        return [RawBSONDocument(bson.encode(doc)) for doc in self.docs.values()]


def test_loading_all_units_serves_every_later_read_from_memory():
    collection = FakeRawUnitsCollection([*ABOVE, JIAYUAN, JINCHANG, BUILDING_2, UNIT_2_1])
    units = Units(collection, journal=None, cache=UnitCache(60))

    read, kept = units.load_all(lifetime=120)
    unit = units.cached("unit_jc2_1")
    ancestors = units.chain_ancestors(unit)

    assert read == kept == 6 and unit == UNIT_2_1
    assert set(ancestors) == {"unit_jiayuan", "unit_jinchang", "unit_jc2"}
    assert collection.reads == []

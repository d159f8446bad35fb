"""A demo street modelled on the seed articles, loaded over RPC as an outside system would.

嘉园社区 (雨花区左家塘街道, "网格长—片长—单元长") with 金昌花园 (no property company) and
名都凯旋城; 联福社区 (郴州北湖区, "片长、组长、邻长") with 华尔星城.
"""

from datetime import date

from shared.stack.ports import wait_until

TERM = {"term_start": date(2023, 1, 1).isoformat(), "term_end": date(2025, 12, 31).isoformat()}

TREE = [
    ("雨花区", "district", None, {}),
    ("左家塘街道", "street", "雨花区", {}),
    ("嘉园社区", "community", "左家塘街道", {"config": {
        "levels": ["grid", "zone", "estate", "building", "unit", "household"]}}),
    ("第一网格", "grid", "嘉园社区", {}),
    ("红花坡片区", "zone", "第一网格", {}),
    ("金昌花园", "estate", "红花坡片区", {"facts": {"has_property_company": False}}),
    ("名都凯旋城", "estate", "红花坡片区", {"facts": {
        "has_property_company": True, "property_company": "凯旋物业", "property_contact": "0731-8555 0101"}}),
    ("北湖区", "district", None, {}),
    ("北湖街道", "street", "北湖区", {}),
    ("联福社区", "community", "北湖街道", {"config": {
        "levels": ["zone", "estate", "building", "unit"],
        "roles": {"secretary": ["community"], "duty_officer": ["community"], "zone_leader": ["zone"],
                  "group_leader": ["estate"], "building_leader": ["building"], "unit_leader": ["unit"]}}}),
    ("华尔星城片区", "zone", "联福社区", {}),
    ("华尔星城", "estate", "华尔星城片区", {"facts": {
        "has_property_company": True, "property_company": "华尔物业", "property_contact": "0735-2222 0808"}}),
]
BUILDINGS = {"金昌花园": ["1栋", "2栋", "3栋"], "名都凯旋城": ["1栋", "2栋"], "华尔星城": ["二期8栋"]}
UNITS_PER_BUILDING = ["1单元", "2单元"]

PEOPLE = [
    # name, phone, place (path below the community), role, extra
    ("曾玉琴", "13807310001", "嘉园社区", "secretary", {"party_member": True, "occupation": "社区书记"}),
    ("刘红", "13807310002", "嘉园社区/第一网格", "grid_leader", {"party_member": True}),
    ("陈平", "13807310003", "嘉园社区/第一网格/红花坡片区", "zone_leader", {}),
    ("康早新", "13807310004", "嘉园社区/金昌花园/2栋/1单元", "unit_leader",
     {"occupation": "水电工", "skills": ["水电", "疏通下水道"]}),
    ("苏瑞安", "13807310005", "嘉园社区/金昌花园/1栋/1单元", "unit_leader", {"skills": ["园艺"]}),
    ("周建强", "13807310006", "嘉园社区/金昌花园/3栋/1单元", "unit_leader",
     {"occupation": "退役军人", "skills": ["调解"]}),
    ("王立", "13807310007", "嘉园社区/名都凯旋城/1栋/1单元", "unit_leader", {}),
    ("何涛", "13907350001", "联福社区/华尔星城片区", "zone_leader", {"party_member": True}),
    ("李梅", "13907350002", "联福社区/华尔星城", "group_leader", {}),
    ("赵强", "13907350003", "联福社区/华尔星城/二期8栋", "building_leader", {}),
]


def load_demo(rosters) -> dict[str, str]:
    """Create the demo street through a rosters RPC proxy; returns place path → unit id."""
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, level, parent, extra in TREE:
        unit = rosters.create_unit(parent_id=names.get(parent), name=name, level=level, **extra)
        names[name] = unit["unit_id"]
        ids["/".join(unit["path"])] = unit["unit_id"]
    for estate, buildings in BUILDINGS.items():
        for building in buildings:
            b = rosters.create_unit(parent_id=names[estate], name=building, level="building")
            for unit_name in UNITS_PER_BUILDING:
                u = rosters.create_unit(parent_id=b["unit_id"], name=unit_name, level="unit")
                ids["/".join(u["path"])] = u["unit_id"]
            ids["/".join(b["path"])] = b["unit_id"]
    for name, phone, place, role, extra in PEOPLE:
        unit_id = find_place(ids, place)
        person = rosters.register_person(name=name, phone=phone, **extra)
        appointment = rosters.apply(person_id=person["person_id"], unit_id=unit_id, role=role)
        rosters.screen(appointment_id=appointment["appointment_id"], passed=True)
        rosters.appoint(appointment_id=appointment["appointment_id"], certificate_no=f"JY-{phone[-4:]}",
                        work_id=f"W{phone[-4:]}", **TERM)
    return ids


def load_once(rpc) -> str:
    """`make run`'s demo data (entry point `linli.demo_data`): the demo street through a
    ClusterRpcProxy, unless it is there already; one line saying which."""
    wait_until(lambda: rpc.rosters.search_people(limit=1) is not None, 60, "rosters service")
    if rpc.rosters.search_people(name="曾玉琴"):
        return "demo street already loaded"
    return f"demo street loaded: {len(load_demo(rpc.rosters))} places"


def find_place(ids: dict[str, str], place: str) -> str:
    """The id of the unit whose path (below its community, levels skipped) matches `place`."""
    wanted = place.split("/")
    for path, unit_id in ids.items():
        parts = path.split("/")
        if parts[-1] == wanted[-1] and _is_subsequence(wanted, parts):
            return unit_id
    raise KeyError(place)


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(part in it for part in short)

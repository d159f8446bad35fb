"""The demo street as rosters describes it (嘉园社区, 金昌花园 2栋 1单元): units and the
responsible chain of the unit, for the fake roster."""

from shared.actor import Actor
from tests.service.fakes import FakeRoster

UNIT = "unit_jc2_1"  # 金昌花园/2栋/1单元
BUILDING = "unit_jc2"  # 金昌花园/2栋
COMMUNITY = "unit_jiayuan"
STREET = "unit_zjt"  # 左家塘街道, above every community

_LEVELS = [  # unit id, name, level, leaders (name, role, person id)
    ("unit_yuhua", "雨花区", "district", []),
    ("unit_zjt", "左家塘街道", "street", []),
    ("unit_jiayuan", "嘉园社区", "community", [("曾玉琴", "secretary", "person_zengyuqin")]),
    ("unit_grid1", "第一网格", "grid", [("刘红", "grid_leader", "person_liuhong")]),
    ("unit_hhp", "红花坡片区", "zone", [("陈平", "zone_leader", "person_chenping")]),
    ("unit_jinchang", "金昌花园", "estate", []),
    ("unit_jc2", "2栋", "building", []),
    ("unit_jc2_1", "1单元", "unit", [("康早新", "unit_leader", "person_kangzaoxin")]),
]
_FACTS = {"unit_jinchang": {"has_property_company": False}}

LIU_HONG = Actor("刘红", "grid_leader", ("unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1"))
ZENG = Actor("曾玉琴", "secretary", ("unit_yuhua", "unit_zjt", "unit_jiayuan"))  # the community office
WANG = Actor("王芳", "grid_worker", ("unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1"))
KANG = Actor("康早新", "unit_leader", ("unit_yuhua", "unit_zjt", "unit_jiayuan", "unit_grid1", "unit_hhp",
                                      "unit_jinchang", "unit_jc2", "unit_jc2_1"))


def _units() -> dict[str, dict]:
    units = {}
    for depth, (unit_id, name, level, _) in enumerate(_LEVELS):
        ancestors = [u for u, *_ in _LEVELS[:depth]]
        path = [n for _, n, *_ in _LEVELS[2:depth + 1]]
        units[unit_id] = {"unit_id": unit_id, "name": name, "level": level, "ancestors": ancestors, "path": path,
                          "community_id": COMMUNITY if depth >= 2 else None, "retired": False}
    return units


def _chain() -> list[dict]:
    """From the unit up to the community, each level with its facts and leaders."""
    return [{"unit_id": unit_id, "name": name, "level": level, "facts": _FACTS.get(unit_id, {}),
             "leaders": [{"name": n, "role": r, "person_id": p} for n, r, p in leaders]}
            for unit_id, name, level, leaders in reversed(_LEVELS[2:])]


def jiayuan_roster() -> FakeRoster:
    return FakeRoster(_units(), {UNIT: _chain()})

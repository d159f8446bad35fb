"""Who is responsible (啥事儿该找谁): routers are plugins in the entry-point group
`linli.case_routing`, chosen by `ROUTING_RULES` in config; `reference` below is the one
Linli ships.

A router is a callable `(case, chain) -> Suggestion`, where `case` is the case document
(with `category_label`) and `chain` the unit's responsible chain from rosters (unit first,
community last, each level with `level`, `name`, `facts` and `leaders`).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

from shared import plugins

GROUP = "linli.case_routing"

#: The kinds of party a case can be dispatched to.
PARTY_KINDS = ("person", "community", "property_company", "owners_committee", "department", "support_team")


@dataclass(frozen=True)
class Suggestion:
    kind: str  # one of PARTY_KINDS
    name: str
    reason: str
    party_id: str | None = None
    mediation: bool = False
    co_handlers: tuple[dict, ...] = ()  # parties to dispatch beside it: {kind, name, party_id}

    def as_dict(self) -> dict:
        return {**asdict(self), "co_handlers": [dict(p) for p in self.co_handlers]}


Router = Callable[[Mapping, Sequence[Mapping]], Suggestion]


def load_router(name: str) -> Router:
    return plugins.load(GROUP, name)


def level(chain: Sequence[Mapping], name: str) -> Mapping | None:
    """The first level of the chain with that level name (e.g. `estate`, `grid`)."""
    return next((entry for entry in chain if entry["level"] == name), None)


def estate_of(chain: Sequence[Mapping]) -> Mapping | None:
    return level(chain, "estate") or level(chain, "alley")


#: Categories handled by a government department, with the department.
DEPARTMENTS = {
    "illegal_building": "城管执法",
    "shared_space": "城管执法",
    "fire_lane": "应急管理（消防）",
    "safety_hazard": "应急管理",
}
#: Categories that are property services when the place is inside an estate with a property company.
PROPERTY_WORK = {"drains", "water_pipes", "leaks", "street_lights", "sanitation", "greenery", "parking",
                 "property_services", "facilities"}
#: Categories settled by talking: the grid leader mediates.
DISPUTES = {"neighbour_dispute", "noise"}
#: Categories for the community's service teams.
SERVICES = {"elderly_services", "livelihood"}
#: Building on or occupying a roof (私搭乱建, 楼顶违建, rooftop plots): in an estate with a
#: property company it is first the company's and the owners' committee's to stop.
ROOFTOP_CATEGORIES = {"illegal_building", "shared_space"}
ROOF_WORDS = ("楼顶", "屋顶", "天台", "顶楼")


def reference(case: Mapping, chain: Sequence[Mapping]) -> Suggestion:
    """The reference router (`reference` in `linli.case_routing`): category, where the problem
    is, and the estate's facts decide; every suggestion says why in words people use."""
    category, place = case["category"], case.get("place", "shared")
    community = level(chain, "community") or chain[-1]
    if category in DISPUTES or (category == "leaks" and place == "home"):
        return _mediation(chain, community)
    estate = estate_of(chain)
    if category in ROOFTOP_CATEGORIES and on_the_roof(case) and _has_property_company(estate):
        return _rooftop(case, estate)
    if category in DEPARTMENTS:
        department = DEPARTMENTS[category]
        return Suggestion("department", department, f"{case['category_label']}属{department}职责，由社区分类交办")
    if category in SERVICES:
        return Suggestion("support_team", "党员志愿服务队", "养老与民生服务由社区组织志愿服务队认领")
    if category in PROPERTY_WORK and estate is not None and place != "street":
        if _has_property_company(estate):
            company = _company(estate)
            where = "户内" if place == "home" else "小区公共区域"
            return Suggestion("property_company", company,
                              f"{estate['name']}有物业服务企业，{where}{case['category_label']}由物业负责")
        return Suggestion("community", community["name"], f"{estate['name']}无物业，由社区负责处理",
                          party_id=community.get("unit_id"))
    return Suggestion("community", community["name"], "未匹配专门责任方，由社区分析研判后交办",
                      party_id=community.get("unit_id"))


def on_the_roof(case: Mapping) -> bool:
    """Reported on a roof (`place` rooftop) or described as being there."""
    return case.get("place") == "rooftop" or any(word in (case.get("description") or "") for word in ROOF_WORDS)


def _has_property_company(estate: Mapping | None) -> bool:
    return estate is not None and bool((estate.get("facts") or {}).get("has_property_company"))


def _company(estate: Mapping) -> str:
    return (estate.get("facts") or {}).get("property_company") or f"{estate['name']}物业"


def _rooftop(case: Mapping, estate: Mapping) -> Suggestion:
    """The property company first, with the owners' committee: the roof is the owners' shared
    part, which the company manages; 城管执法 only when they cannot stop it."""
    committee = (estate.get("facts") or {}).get("owners_committee") or f"{estate['name']}业主委员会"
    return Suggestion("property_company", _company(estate),
                      f"{estate['name']}有物业服务企业，楼顶属业主共有部位，{case['category_label']}先由物业会同"
                      f"业主委员会劝阻整改；劝阻无效再报城管执法",
                      co_handlers=({"kind": "owners_committee", "name": committee, "party_id": None},))


def _mediation(chain: Sequence[Mapping], community: Mapping) -> Suggestion:
    grid = level(chain, "grid")
    leaders = [p for p in (grid or {}).get("leaders", []) if p["role"] == "grid_leader"]
    if leaders:
        return Suggestion("person", leaders[0]["name"], f"邻里之间的问题先调解：由{grid['name']}网格长调解",
                          party_id=leaders[0]["person_id"], mediation=True)
    return Suggestion("community", community["name"], "邻里之间的问题先调解：网格暂无网格长，由社区调解",
                      party_id=community.get("unit_id"), mediation=True)

"""What a case is about and how urgent it is: the category taxonomy (codes configured as
`CATEGORIES` in `services/cases/config.yml`, grouped by `CATEGORY_GROUPS`) and urgency levels."""

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Broad categories as communities and 12345 classify residents' problems (code → label).
DEFAULT_CATEGORIES: dict[str, str] = {
    "drains": "下水道堵塞",
    "street_lights": "路灯照明",
    "water_pipes": "供水管道",
    "leaks": "渗水漏水",
    "sanitation": "环境卫生",
    "greenery": "绿化养护",
    "neighbour_dispute": "邻里纠纷",
    "safety_hazard": "安全隐患",
    "illegal_building": "违章搭建",
    "shared_space": "占用公共空间",
    "parking": "停车秩序",
    "fire_lane": "消防通道",
    "property_services": "物业服务",
    "noise": "噪音扰民",
    "elderly_services": "养老服务",
    "livelihood": "民生保障",
    "facilities": "公共设施",
    "other": "其他",
}

#: Urgency, most relaxed first: 一般 / 紧急 / 特急.
URGENCIES: dict[str, str] = {"normal": "一般", "urgent": "紧急", "critical": "特急"}

#: Where the problem is: inside a home, the shared parts of an estate or building, on its
#: roof (楼顶, also shared), or on the street.
PLACES: dict[str, str] = {"home": "户内", "shared": "公共区域", "rooftop": "楼顶", "street": "街面"}

#: Where a case came from.
CHANNELS: dict[str, str] = {
    "visit": "入户走访",
    "patrol": "巡查",
    "call": "电话",
    "wechat": "微信",
    "walk_in": "服务中心来访",
    "online": "网上",
    "hotline": "12345热线",
    "inspection": "主动排查",
}


@dataclass(frozen=True)
class Taxonomy:
    categories: Mapping[str, str]
    groups: Mapping[str, str] = field(default_factory=dict)  # code → group label; a code may have none

    @classmethod
    def from_config(cls, configured: Mapping[str, str] | None,
                    groups: Mapping[str, list[str]] | None = None) -> "Taxonomy":
        """The configured categories (code → label; `other` is always kept) and their groups
        (group label → codes); a group naming an unknown code, or a code in two groups, is refused."""
        categories = {str(code): str(label) for code, label in (configured or DEFAULT_CATEGORIES).items()}
        categories.setdefault("other", DEFAULT_CATEGORIES["other"])
        group_of: dict[str, str] = {}
        for group, codes in (groups or {}).items():
            for code in codes:
                if code not in categories or code in group_of:
                    raise ValueError(f"CATEGORY_GROUPS: {code!r} in {group!r} is unknown or already grouped")
                group_of[code] = str(group)
        return cls(categories, group_of)

    def label(self, code: str) -> str:
        return self.categories[code]

    def knows(self, code: str) -> bool:
        return code in self.categories

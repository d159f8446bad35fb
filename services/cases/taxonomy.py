"""What a case is about and how urgent it is: the category taxonomy and urgency levels."""

from collections.abc import Mapping
from dataclasses import dataclass

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

    @classmethod
    def from_config(cls, configured: Mapping[str, str] | None) -> "Taxonomy":
        """The configured categories (code → label); `other` is always kept."""
        categories = dict(configured or DEFAULT_CATEGORIES)
        categories.setdefault("other", DEFAULT_CATEGORIES["other"])
        return cls(categories)

    def label(self, code: str) -> str:
        return self.categories[code]

    def knows(self, code: str) -> bool:
        return code in self.categories

"""The hotline service's settings, read once from config (keys in `Settings.from_config`): the
platforms it syncs with, their time limits, how outbound calls are retried, how platform
categories become case categories, and the appraisal rates' formulas."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from services.hotline.kpis import check_formulas
from shared.retrying import RetryPolicy
from shared.workdays import WorkCalendar

#: Time limits as published local rules set them: sign within hours of receipt; reply within
#: working days (a ticket's own deadline, when it brings one, wins); return only within two
#: working days of signing; an extension asked before the deadline, at most ten working days.
DEFAULT_LIMITS: dict[str, dict] = {
    "sign": {"hours": 2},
    "reply": {"working_days": 5},
    "reply_by_type": {"咨询": {"working_days": 3}, "求助": {"working_days": 3}},
    "reply_by_urgency": {"特急": {"hours": 24}, "紧急": {"working_days": 2}},
    "return": {"working_days": 2},
    "extension_most_days": 10,
}

#: The appraisal's rates (响应率, 解决率, 满意率): each a sum of counts over a sum of counts. The
#: counts per ticket are in `kpis.COUNTS`; a city changes a formula in config.
DEFAULT_KPIS: dict[str, dict] = {
    "response_rate": {"label": "响应率", "numerator": ["signed_on_time"], "denominator": ["received"]},
    "resolution_rate": {"label": "解决率", "numerator": ["resolved"], "denominator": ["surveyed"]},
    "satisfaction_rate": {"label": "满意率", "numerator": ["satisfied"], "denominator": ["surveyed"]},
}

#: Platform categories to case categories by keyword (the first code whose keyword the platform's
#: category or the content contains); anything else is `other`.
DEFAULT_CATEGORY_KEYWORDS: dict[str, list[str]] = {
    "noise": ["噪音", "噪声", "扰民"],
    "drains": ["下水", "堵塞", "排水", "化粪池"],
    "street_lights": ["路灯", "照明"],
    "water_pipes": ["供水", "水管", "停水", "水压"],
    "leaks": ["漏水", "渗水"],
    "sanitation": ["垃圾", "卫生", "保洁"],
    "greenery": ["绿化", "树木"],
    "neighbour_dispute": ["邻里", "纠纷"],
    "safety_hazard": ["隐患", "电梯", "燃气"],
    "illegal_building": ["违章", "违建", "搭建"],
    "shared_space": ["占用", "堆放"],
    "parking": ["停车", "车位"],
    "fire_lane": ["消防"],
    "property_services": ["物业"],
    "elderly_services": ["养老", "老人"],
    "livelihood": ["低保", "救助", "医保", "社保"],
    "facilities": ["设施", "健身器材"],
}


@dataclass(frozen=True)
class Limits:
    sign: Mapping = field(default_factory=lambda: DEFAULT_LIMITS["sign"])
    reply: Mapping = field(default_factory=lambda: DEFAULT_LIMITS["reply"])
    reply_by_type: Mapping = field(default_factory=lambda: DEFAULT_LIMITS["reply_by_type"])
    reply_by_urgency: Mapping = field(default_factory=lambda: DEFAULT_LIMITS["reply_by_urgency"])
    return_: Mapping = field(default_factory=lambda: DEFAULT_LIMITS["return"])
    extension_most_days: int = 10

    @classmethod
    def from_config(cls, given: Mapping | None) -> "Limits":
        merged = {**DEFAULT_LIMITS, **(given or {})}
        return cls(sign=merged["sign"], reply=merged["reply"], reply_by_type=merged["reply_by_type"],
                   reply_by_urgency=merged["reply_by_urgency"], return_=merged["return"],
                   extension_most_days=int(merged["extension_most_days"]))


@dataclass(frozen=True)
class PlatformSettings:
    name: str
    adapter: str
    options: Mapping  # the adapter's own settings
    areas: Mapping[str, str]  # the platform's area code → the community's node id here
    limits: Limits
    page_size: int = 100


#: Tries of one outbound call before it is parked: about 15 minutes at these waits.
RETRY = RetryPolicy(attempts=12, first=timedelta(seconds=2), most=timedelta(minutes=2))

@dataclass(frozen=True)
class Settings:
    platforms: Mapping[str, PlatformSettings] = field(default_factory=dict)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    retry: RetryPolicy = RETRY
    category_keywords: Mapping[str, list[str]] = field(default_factory=lambda: DEFAULT_CATEGORY_KEYWORDS)
    kpis: Mapping[str, Mapping] = field(default_factory=lambda: DEFAULT_KPIS)
    unmask_roles: tuple[str, ...] = ("secretary", "grid_worker", "duty_officer", "admin")
    lease: timedelta = timedelta(seconds=60)  # how long one instance holds a platform's pull or a call

    def platform(self, name: str) -> PlatformSettings:
        return self.platforms[name]

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        """`PLATFORMS` ({name: {adapter, areas: {code: node_id}, limits, page_size, …adapter
        settings}}), `HOLIDAYS`, `WORKDAYS`, `RETRY_FIRST_SECONDS` (2), `RETRY_MAX_SECONDS` (120),
        `RETRY_ATTEMPTS` (12), `CATEGORY_KEYWORDS`, `KPIS`, `UNMASK_ROLES`, `LEASE_SECONDS` (60)."""
        formulas = config.get("KPIS") or DEFAULT_KPIS
        check_formulas(formulas)
        platforms = {}
        for name, given in (config.get("PLATFORMS") or {}).items():
            given = dict(given or {})
            platforms[str(name)] = PlatformSettings(
                name=str(name), adapter=str(given.pop("adapter", "json_http")),
                areas={str(k): str(v) for k, v in (given.pop("areas", None) or {}).items()},
                limits=Limits.from_config(given.pop("limits", None)),
                page_size=int(given.pop("page_size", 100)), options=given)
        return cls(
            platforms=platforms,
            calendar=WorkCalendar.from_config(config.get("HOLIDAYS") or (), config.get("WORKDAYS") or ()),
            retry=RetryPolicy(first=timedelta(seconds=float(config.get("RETRY_FIRST_SECONDS", 2))),
                              most=timedelta(seconds=float(config.get("RETRY_MAX_SECONDS", 120))),
                              attempts=int(config.get("RETRY_ATTEMPTS", 12))),
            category_keywords=config.get("CATEGORY_KEYWORDS") or DEFAULT_CATEGORY_KEYWORDS,
            kpis=formulas,
            unmask_roles=tuple(config.get("UNMASK_ROLES") or cls.unmask_roles),
            lease=timedelta(seconds=float(config.get("LEASE_SECONDS", 60))),
        )

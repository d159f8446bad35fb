"""The volunteers service's settings, read once from config (keys in `Settings.from_config`)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Settings:
    confirm_within: timedelta = timedelta(hours=1)  # a claim not confirmed this long is released
    remind_before: timedelta = timedelta(hours=2)  # claimants are reminded this long before the start
    unclaimed_alert: timedelta = timedelta(hours=24)  # staff are told when a task this close has no claim
    case_task_headcount: int = 1
    case_task_window: timedelta = timedelta(days=3)  # a case task's window when the case has no deadline
    category_skills: Mapping[str, list[str]] = field(default_factory=dict)  # skills a case task requires
    unmask_roles: tuple[str, ...] = ("secretary", "grid_worker", "duty_officer", "admin",
                                     "system:notifications")
    zone: ZoneInfo = ZoneInfo("Asia/Shanghai")
    case_sync_max_attempts: int = 20

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        """`CLAIM_CONFIRM_SECONDS` (3600), `REMIND_BEFORE_MINUTES` (120), `UNCLAIMED_ALERT_MINUTES`
        (1440), `CASE_TASK_HEADCOUNT` (1), `CASE_TASK_HOURS` (72), `CATEGORY_SKILLS` ({category:
        [skill]}), `UNMASK_ROLES`, `LOCAL_TIMEZONE` (Asia/Shanghai), `CASE_SYNC_MAX_ATTEMPTS` (20)."""
        return cls(
            confirm_within=timedelta(seconds=float(config.get("CLAIM_CONFIRM_SECONDS", 3600))),
            remind_before=timedelta(minutes=float(config.get("REMIND_BEFORE_MINUTES", 120))),
            unclaimed_alert=timedelta(minutes=float(config.get("UNCLAIMED_ALERT_MINUTES", 1440))),
            case_task_headcount=int(config.get("CASE_TASK_HEADCOUNT", 1)),
            case_task_window=timedelta(hours=float(config.get("CASE_TASK_HOURS", 72))),
            category_skills={str(category): [str(s) for s in skills or ()]
                             for category, skills in (config.get("CATEGORY_SKILLS") or {}).items()},
            unmask_roles=tuple(config.get("UNMASK_ROLES") or cls.unmask_roles),
            zone=ZoneInfo(str(config.get("LOCAL_TIMEZONE") or "Asia/Shanghai")),
            case_sync_max_attempts=int(config.get("CASE_SYNC_MAX_ATTEMPTS", 20)),
        )

"""The notifications service's settings, read once from config (keys in `Settings.from_config`)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.notifications.templates import TEMPLATES, check_catalogue
from services.notifications.windows import DEFAULT_ZONE
from shared.retrying import RetryPolicy


@dataclass(frozen=True)
class Settings:
    lookback: timedelta = timedelta(minutes=5)  # repeats within this of a sent message wait for one digest
    zone: str = DEFAULT_ZONE  # quiet hours' zone for people who set none
    default_channels: tuple[str, ...] = ("sms",)  # for people without preferences (who have the address)
    retry: RetryPolicy = RetryPolicy()
    send_lease: timedelta = timedelta(seconds=60)  # a sender holds a message this long
    fanout_lease: timedelta = timedelta(seconds=60)  # an instance holds a notice this long per page
    catalogue: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: dict(TEMPLATES))
    unmask_roles: tuple[str, ...] = ("admin",)

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        """`DIGEST_LOOKBACK_MINUTES` (5), `LOCAL_TIMEZONE` (Asia/Shanghai), `DEFAULT_CHANNELS`
        ([sms]), `SEND_ATTEMPTS` (5), `RETRY_FIRST_SECONDS` (2), `RETRY_MAX_SECONDS` (600),
        `RETRY_JITTER` (0.5), `SEND_LEASE_SECONDS` (60), `FANOUT_LEASE_SECONDS` (60), `TEMPLATES`
        (added to or replacing the built-in ones), `UNMASK_ROLES` ([admin])."""
        zone = str(config.get("LOCAL_TIMEZONE") or DEFAULT_ZONE)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"LOCAL_TIMEZONE: not a time zone: {zone}") from None
        return cls(
            lookback=timedelta(minutes=float(config.get("DIGEST_LOOKBACK_MINUTES", 5))),
            zone=zone,
            default_channels=tuple(config.get("DEFAULT_CHANNELS") or cls.default_channels),
            retry=RetryPolicy(attempts=int(config.get("SEND_ATTEMPTS", 5)),
                              first=timedelta(seconds=float(config.get("RETRY_FIRST_SECONDS", 2))),
                              most=timedelta(seconds=float(config.get("RETRY_MAX_SECONDS", 600))),
                              jitter=float(config.get("RETRY_JITTER", 0.5))),
            send_lease=timedelta(seconds=float(config.get("SEND_LEASE_SECONDS", 60))),
            fanout_lease=timedelta(seconds=float(config.get("FANOUT_LEASE_SECONDS", 60))),
            catalogue={**TEMPLATES, **check_catalogue(config.get("TEMPLATES") or {})},
            unmask_roles=tuple(config.get("UNMASK_ROLES") or cls.unmask_roles),
        )

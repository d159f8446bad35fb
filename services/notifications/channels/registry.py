"""The channels this instance sends on: the plugins of `linli.notification_channels` named in
config's `CHANNELS` (each with its settings; `enabled: false` turns one off), built once at
start. A channel named but not installed, or whose settings are wrong, stops the start with
the reason: a message is never queued for a channel nobody can send on."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared import plugins

GROUP = "linli.notification_channels"


@dataclass(frozen=True)
class Channels:
    push: Mapping[str, Any]  # name → channel
    limits: Mapping[str, int | None]  # name → sends per minute
    inbox: Any

    @property
    def needs(self) -> dict[str, str | None]:
        """Channel → the address it needs (what composing checks a person has)."""
        return {name: channel.address for name, channel in self.push.items()}


def enabled(config: Mapping[str, Mapping | None] | None) -> Channels:
    push, limits = {}, {}
    inbox = plugins.load(GROUP, "inbox")({})
    for name, settings in (config or {}).items():
        settings = dict(settings or {})
        if name == "inbox" or not _on(settings.pop("enabled", True)):
            continue
        factory = plugins.load(GROUP, name)
        limit = settings.pop("per_minute", getattr(factory, "per_minute", None))
        push[name] = factory(settings)
        limits[name] = int(limit) if limit else None
    return Channels(push, limits, inbox)


def _on(value: Any) -> bool:
    return str(value).strip().lower() not in ("false", "0", "no", "off", "")

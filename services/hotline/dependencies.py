"""The service's settings and its platform adapters, made once per container."""

import eventlet
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.hotline.areas import Areas
from services.hotline.platform import Platform
from services.hotline.settings import Settings
from shared.plugins import load

GROUP = "linli.hotline_platforms"


class SettingsProvider(DependencyProvider):
    """`Settings` read from config at set-up (keys in `Settings.from_config`)."""

    def setup(self) -> None:
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


def adapters_for(settings: Settings) -> dict[str, Platform]:
    """An adapter per configured platform: one that is not installed, or whose settings are
    wrong, stops the start with the reason."""
    return {name: load(GROUP, platform.adapter)(name, dict(platform.options))
            for name, platform in settings.platforms.items()}


class Throttled:
    """A platform's adapter whose calls to the platform go at most `concurrency` at once, the
    others waiting their turn; everything else is the adapter's own."""

    CALLS = ("fetch", "sign", "reply", "return_ticket", "extend", "tickets")

    def __init__(self, adapter: Platform, concurrency: int):
        self.adapter = adapter
        self.slots = Semaphore(concurrency)

    def __getattr__(self, name: str):
        found = getattr(self.adapter, name)
        if name not in self.CALLS:
            return found

        def in_turn(*args, **kwargs):
            with self.slots:
                return found(*args, **kwargs)

        return in_turn


class AreasProvider(DependencyProvider):
    """Where each platform's area codes lie, resolved once per `AREA_CACHE_SECONDS` (600)."""

    def setup(self) -> None:
        self.areas = Areas(float(self.container.config.get("AREA_CACHE_SECONDS", 600)))

    def get_dependency(self, worker_ctx) -> Areas:
        return self.areas


class CallPool(DependencyProvider):
    """`imap(function, items)`: tickets' work done side by side (records taken in, calls to
    cases and to the platform), at most `WORK_CONCURRENCY` (8) at once; the calls to one
    platform among them at most `CALL_CONCURRENCY` at once (`Throttled`)."""

    def setup(self) -> None:
        self.pool = eventlet.GreenPool(int(self.container.config.get("WORK_CONCURRENCY", 8)))

    def get_dependency(self, worker_ctx) -> eventlet.GreenPool:
        return self.pool


class PlatformsProvider(DependencyProvider):
    """The adapters of config's `PLATFORMS`, built at set-up."""

    def setup(self) -> None:
        concurrency = int(self.container.config.get("CALL_CONCURRENCY", 4))
        self.adapters = {name: Throttled(adapter, concurrency)
                         for name, adapter in adapters_for(Settings.from_config(self.container.config)).items()}

    def get_dependency(self, worker_ctx) -> dict[str, Platform]:
        return self.adapters

"""The service's settings and its platform adapters, made once per container."""

import eventlet
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


class AreasProvider(DependencyProvider):
    """Where each platform's area codes lie, resolved once per `AREA_CACHE_SECONDS` (600)."""

    def setup(self) -> None:
        self.areas = Areas(float(self.container.config.get("AREA_CACHE_SECONDS", 600)))

    def get_dependency(self, worker_ctx) -> Areas:
        return self.areas


class CallPool(DependencyProvider):
    """`imap(function, items)`: calls made side by side, at most `CALL_CONCURRENCY` (4) at once."""

    def setup(self) -> None:
        self.pool = eventlet.GreenPool(int(self.container.config.get("CALL_CONCURRENCY", 4)))

    def get_dependency(self, worker_ctx) -> eventlet.GreenPool:
        return self.pool


class PlatformsProvider(DependencyProvider):
    """The adapters of config's `PLATFORMS`, built at set-up."""

    def setup(self) -> None:
        self.adapters = adapters_for(Settings.from_config(self.container.config))

    def get_dependency(self, worker_ctx) -> dict[str, Platform]:
        return self.adapters

"""The service's settings, its channels and its pool of senders, made once per container."""

import eventlet
from nameko.extensions import DependencyProvider

from services.notifications.channels.registry import Channels, enabled
from services.notifications.settings import Settings


class SettingsProvider(DependencyProvider):
    """`Settings` read from config at set-up (keys in `Settings.from_config`)."""

    def setup(self) -> None:
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class ChannelsProvider(DependencyProvider):
    """The channels of config's `CHANNELS`, built at set-up: a channel that is not installed or
    whose settings are wrong stops the start with the reason."""

    def setup(self) -> None:
        self.channels = enabled(self.container.config.get("CHANNELS"))

    def get_dependency(self, worker_ctx) -> Channels:
        return self.channels


class SenderPool(DependencyProvider):
    """`spawn(function, *args)`: sends side by side, at most `SEND_CONCURRENCY` (10) at once."""

    def setup(self) -> None:
        self.pool = eventlet.GreenPool(int(self.container.config.get("SEND_CONCURRENCY", 10)))

    def get_dependency(self, worker_ctx) -> eventlet.GreenPool:
        return self.pool

"""The service's settings, read once per container from config."""

from nameko.extensions import DependencyProvider

from services.volunteers.settings import Settings


class SettingsProvider(DependencyProvider):
    """Gives each worker the `Settings` read from config at set-up (keys in `Settings.from_config`)."""

    def setup(self) -> None:
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings

"""A nameko timer whose interval comes from config."""

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """`@configured_timer("SCAN_SECONDS", default=60)`: the interval is read from config at set-up."""

    def __init__(self, key: str, default: float, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.key = key

    def setup(self) -> None:
        self.interval = float(self.container.config.get(self.key, self.interval))
        super().setup()


configured_timer = ConfiguredTimer.decorator

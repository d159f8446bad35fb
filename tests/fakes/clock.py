"""A clock the test moves by hand."""

from datetime import datetime, timedelta


class Clock:
    """`clock()` is now; `clock.move(hours=2)` moves it on."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

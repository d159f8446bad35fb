"""How often and how patiently to try what another system has to take (a platform's call, a
channel's send): plain Python, for domain modules to decide with."""

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries before the thing is given up and parked, the waits between them growing
    from `first` and doubling up to `most`, each stretched by up to `jitter` again so that many
    waiters do not come back at once."""

    attempts: int = 5
    first: timedelta = timedelta(seconds=2)
    most: timedelta = timedelta(minutes=10)
    jitter: float = 0.5

    def wait(self, failures: int, rng: random.Random | None = None) -> timedelta:
        """The wait after the `failures`-th failure: first, doubling, capped, jittered."""
        base = min(self.first * (2 ** max(failures - 1, 0)), self.most)
        return base * (1 + (rng or random).uniform(0, self.jitter))

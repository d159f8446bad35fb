"""Turns: inside one process, the workers writing one task take turns.

Every write of a task is a versioned write, so correctness never depends on this: of writers
at one version exactly one wins, in any number of processes. But when fifty members claim one
task at once, fifty workers deciding together means forty-nine lost versions per round, each
read again. Taking turns in the process leaves only the other processes to race, so a burst of
claims costs about one write each."""

import contextlib
from collections.abc import Iterator

from eventlet.semaphore import Semaphore


class Turns:
    def __init__(self):
        self._held: dict[str, tuple[Semaphore, list[int]]] = {}

    @contextlib.contextmanager
    def of(self, key: str) -> Iterator[None]:
        """Wait for this key's turn (green threads only: nothing else to lock)."""
        lock, waiting = self._held.setdefault(key, (Semaphore(1), [0]))
        waiting[0] += 1
        try:
            with lock:
                yield
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                self._held.pop(key, None)

    def busy(self, key: str) -> bool:
        """Whether a writer of this key holds its turn now."""
        return key in self._held

    def __len__(self) -> int:
        return len(self._held)

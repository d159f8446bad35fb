"""A small in-process cache whose entries expire after a fixed number of seconds."""

import time
from collections import OrderedDict
from typing import Any


class TTLCache:
    """Least-recently-stored eviction past `max_entries`; `seconds <= 0` disables caching."""

    def __init__(self, seconds: float, max_entries: int = 50_000):
        self.seconds = seconds
        self.max_entries = max_entries
        self.entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> Any | None:
        entry = self.entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, value: Any) -> None:
        if self.seconds <= 0:
            return
        self.entries[key] = (time.monotonic() + self.seconds, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def forget(self, key: str) -> None:
        self.entries.pop(key, None)

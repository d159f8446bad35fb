"""An in-process cache of units that every rosters instance keeps correct by forgetting
changed units when it writes them and when any instance announces `unit_changed`."""

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping


class UnitCache:
    """Units by id, each kept at most `seconds` (the safety net for a missed announcement).

    A reader takes a `stamp()` before it reads the database and hands it to `put`; if any
    unit was forgotten meanwhile the read may predate that change, so it is not stored.
    Past `max_entries` the least recently stored unit goes first; `seconds <= 0` disables it.
    """

    def __init__(self, seconds: float, max_entries: int = 20_000, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self.entries: OrderedDict[str, tuple[float, Mapping]] = OrderedDict()
        self.generation = 0

    def get(self, unit_id: str) -> Mapping | None:
        entry = self.entries.get(unit_id)
        if entry is None:
            return None
        if entry[0] < self.clock():
            self.entries.pop(unit_id, None)
            return None
        return entry[1]

    def stamp(self) -> int:
        """Take before reading a unit from the database; give to `put` with what was read."""
        return self.generation

    def put(self, unit: Mapping, stamp: int) -> None:
        if self.seconds <= 0 or stamp != self.generation:
            return
        self.entries[unit["_id"]] = (self.clock() + self.seconds, unit)
        self.entries.move_to_end(unit["_id"])
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def forget(self, unit_id: str, subtree: bool = False) -> None:
        """Drop a unit, and with `subtree` every cached unit below it as well."""
        self.generation += 1
        self.entries.pop(unit_id, None)
        if subtree:
            below = [i for i, (_, unit) in self.entries.items() if unit_id in unit.get("ancestors", ())]
            for i in below:
                del self.entries[i]

    def __len__(self) -> int:
        return len(self.entries)

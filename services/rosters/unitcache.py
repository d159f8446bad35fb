"""An in-process cache of units that every rosters instance keeps correct by forgetting
changed units when it writes them and when any instance announces `unit_changed`."""

import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

FORGET_LOG = 100_000  # units whose last forget is remembered; past it, older reads are not kept
AWARE = CodecOptions(tz_aware=True)


class UnitCache:
    """Units by id, each kept as its BSON bytes (about a sixth of the memory a dict takes)
    and handed out as a fresh dict, for at most `seconds` unless stored with a longer life.

    A reader takes a `stamp()` before it reads the database and hands it to `put`; if that
    unit (or, for a subtree forget, one above it) was forgotten meanwhile, the read may
    predate the change and is not stored. The check costs a lookup per ancestor, however
    many units were forgotten meanwhile. Past `max_entries` the least recently stored unit
    goes first; `seconds <= 0` disables the cache.
    """

    def __init__(self, seconds: float, max_entries: int = 200_000, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self.entries: OrderedDict[str, tuple[float, bytes, tuple[str, ...]]] = OrderedDict()
        self.generation = 0
        self.forgotten: dict[str, int] = {}  # unit → generation of its last forget
        self.forgotten_below: dict[str, int] = {}  # unit → generation of its last subtree forget
        self.remembered_since = 0  # forgets before this generation are no longer in the two maps

    def get(self, unit_id: str) -> dict | None:
        entry = self.entries.get(unit_id)
        if entry is None:
            return None
        if entry[0] < self.clock():
            self.entries.pop(unit_id, None)
            return None
        return bson.decode(entry[1], codec_options=AWARE)

    def stamp(self) -> int:
        """Take before reading units from the database; give to `put` with what was read."""
        return self.generation

    def put(self, unit: Mapping, stamp: int, lifetime: float | None = None) -> bool:
        """Keep `unit` for `lifetime` seconds (default `seconds`); False when it was not kept."""
        if self.seconds <= 0:
            return False
        ancestors = tuple(map(sys.intern, unit.get("ancestors", ())))  # shared by every unit below
        if self._forgotten_since(stamp, unit["_id"], ancestors):
            return False
        raw = unit.raw if isinstance(unit, RawBSONDocument) else bson.encode(unit)
        self.entries[unit["_id"]] = (self.clock() + (lifetime or self.seconds), raw, ancestors)
        self.entries.move_to_end(unit["_id"])
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return True

    def forget(self, unit_id: str, subtree: bool = False) -> None:
        """Drop a unit, and with `subtree` every cached unit below it as well."""
        self.generation += 1
        if len(self.forgotten) + len(self.forgotten_below) >= FORGET_LOG:
            self.forgotten.clear()
            self.forgotten_below.clear()
            self.remembered_since = self.generation
        self.forgotten[unit_id] = self.generation
        if subtree:
            self.forgotten_below[unit_id] = self.generation
        self.entries.pop(unit_id, None)
        if subtree:
            below = [i for i, (_, _, ancestors) in self.entries.items() if unit_id in ancestors]
            for i in below:
                del self.entries[i]

    def _forgotten_since(self, stamp: int, unit_id: str, ancestors: tuple[str, ...]) -> bool:
        if stamp == self.generation:
            return False
        if stamp < self.remembered_since:
            return True  # the maps no longer reach back to the stamp
        if self.forgotten.get(unit_id, -1) > stamp:
            return True
        return any(self.forgotten_below.get(a, -1) > stamp for a in ancestors)

    def __len__(self) -> int:
        return len(self.entries)

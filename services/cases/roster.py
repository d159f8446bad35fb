"""What cases asks rosters over RPC, with timeouts and a short-lived cache of units that
forgets a unit as soon as rosters announces it changed (`unit_changed`)."""

from collections.abc import Mapping
from typing import Any

import eventlet
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider

from services.cases.exceptions import RosterUnavailable
from shared.errors import LinliError, NotFound, field_error, remote_code
from shared.ttlcache import TTLCache


class RosterCache(DependencyProvider):
    """One cache of rosters' answers per service instance, kept current by `forget`.

    Config: `ROSTER_CACHE_SECONDS` (default 60: the longest a unit changed in rosters is seen
    here as it was, when its `unit_changed` never arrived), `ROSTER_TIMEOUT_SECONDS` (default 10).
    """

    def setup(self) -> None:
        config = self.container.config
        self._start(float(config.get("ROSTER_CACHE_SECONDS", 60)), float(config.get("ROSTER_TIMEOUT_SECONDS", 10)))

    def _start(self, seconds: float, timeout: float) -> None:
        self.units = TTLCache(seconds)
        self.timeout = timeout
        self.generation = 0  # forgets so far: a unit read before the latest one is not kept

    @classmethod
    def detached(cls, seconds: float = 60, timeout: float = 10) -> "RosterCache":
        """A cache for a caller outside a service container (a script, a test's writer process)."""
        cache = cls()
        cache._start(seconds, timeout)
        return cache

    def get_dependency(self, worker_ctx) -> "RosterCache":
        return self

    def forget(self, unit_id: str, subtree: bool = False) -> None:
        """Rosters changed this unit; with `subtree` (a rename or move) the units below it too,
        so every cached unit is read again."""
        self.generation += 1
        if subtree:
            self.units = TTLCache(self.units.seconds, self.units.max_entries)
        else:
            self.units.forget(unit_id)

    def keep(self, unit_id: str, unit: Mapping, read_at: int) -> None:
        """Cache a unit read when `generation` was `read_at`, unless a forget came meanwhile (the
        read may predate that change)."""
        if read_at == self.generation:
            self.units.put(unit_id, unit)


class Roster:
    """Units and responsible chains as the cases service needs them."""

    def __init__(self, proxy: Any, cache: RosterCache):
        self.proxy = proxy
        self.cache = cache

    def _call(self, method: str, **kwargs) -> Any:
        try:
            with eventlet.Timeout(self.cache.timeout):
                return getattr(self.proxy, method).call_async(**kwargs).result()
        except eventlet.Timeout:
            raise RosterUnavailable(f"rosters did not answer {method} within {self.cache.timeout:g}s",
                                    [{"field": "unit_id", "reason": "rosters unavailable"}]) from None

    def node(self, unit_id: str, field: str = "unit_id") -> Mapping:
        """Any node of the tree, or a validation error naming `field` when there is none."""
        unit = self.cache.units.get(unit_id)
        if unit is None:
            read_at = self.cache.generation
            try:
                unit = self._call("get_unit", unit_id=unit_id)
            except (LinliError, RemoteError) as error:  # rosters' errors, known here by their code only
                if remote_code(error) != NotFound.code:
                    raise
                raise field_error(field, "no such unit in the roster") from None
            self.cache.keep(unit_id, unit, read_at)
        return unit

    def unit(self, unit_id: str, field: str = "unit_id") -> Mapping:
        """A place for a case: it exists, is active and lies inside a community."""
        return place_for_a_case(self.node(unit_id, field), field)

    def chain(self, unit_id: str) -> list[dict]:
        return self._call("responsible_chain", unit_id=unit_id)


def scope_of(unit: Mapping) -> list[str]:
    """The nodes a case at this unit is counted under: every level from the root down to the
    building (units and households are too fine for statistics)."""
    lineage = [*unit["ancestors"], unit["unit_id"]]
    return lineage[:-1] if unit["level"] in ("unit", "household") else lineage


def place_for_a_case(unit: Mapping, field: str = "unit_id") -> Mapping:
    """The unit, when a case may be reported there: active and inside a community."""
    if unit.get("retired"):
        raise field_error(field, "the unit is retired")
    if not unit.get("community_id"):
        raise field_error(field, "must be a place inside a community")
    return unit

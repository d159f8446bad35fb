"""Where a platform's area codes lie in the roster tree. Config names each area by the node's id,
or by its path of names from the root (`雨花区/左家塘街道/嘉园社区`), found through rosters'
`locate_unit` and kept for `AREA_CACHE_SECONDS` (a path rosters does not know is asked again
each time): ids are opaque to ops, names are not."""

from collections.abc import Callable, Mapping

from nameko.exceptions import RemoteError

from shared.errors import LinliError, NotFound, remote_code
from shared.ttlcache import TTLCache

Locate = Callable[[list[str]], Mapping]  # locate(path) -> the unit as rosters answers it


class AreasUnavailable(Exception):
    """Rosters did not answer: the pull waits for the next round rather than park good tickets."""


class Areas:
    def __init__(self, cache_seconds: float = 600):
        self.cache = TTLCache(cache_seconds, 10_000)

    def resolved(self, areas: Mapping[str, str], locate: Locate) -> dict[str, str | None]:
        """Area code → node id; None for a path rosters does not know (its tickets are parked,
        replayable once config or the roster is fixed)."""
        return {code: self._node(where, locate) for code, where in areas.items()}

    def _node(self, where: str, locate: Locate) -> str | None:
        if "/" not in where:
            return where
        known = self.cache.get(where)
        if known is not None:
            return known
        try:
            node_id = locate([part.strip() for part in where.split("/") if part.strip()])["unit_id"]
        except (LinliError, RemoteError) as error:
            if remote_code(error) == NotFound.code:  # not kept: asked again, so a new community is found at once
                return None
            raise AreasUnavailable(f"rosters could not locate {where}: {error}") from error
        self.cache.put(where, node_id)
        return node_id

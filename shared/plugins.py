"""Plugin loader: entry-point groups discovered at start-up, chosen by name in config."""

from importlib.metadata import entry_points
from typing import Any


class UnknownPlugin(LookupError):
    pass


def available(group: str) -> dict[str, Any]:
    """Every plugin of a group by name (loaded lazily by `load`)."""
    return {ep.name: ep for ep in entry_points(group=group)}


def load(group: str, name: str) -> Any:
    found = available(group)
    if name not in found:
        raise UnknownPlugin(f"no plugin {name!r} in {group}; available: {sorted(found)}")
    return found[name].load()

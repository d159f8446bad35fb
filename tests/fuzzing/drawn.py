"""A generated value with the reasons its contract refuses it, and what the data holds for the
strategies to draw from."""

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Drawn:
    """A generated value and, when its contract refuses it, why."""

    value: Any
    refused: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Drawn({short(self.value)}, refused={self.refused!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis prints a failing example
        printer.text(repr(self))


def short(value: Any, room: int = 80) -> str:
    """`repr` with long strings, lists and objects cut short, so that a failing example reads."""
    if isinstance(value, str) and len(value) > room:
        return f"{value[:20]!r}...({len(value)} characters)"
    if isinstance(value, list):
        shown = ", ".join(short(v, room) for v in value[:5])
        return f"[{shown}{f', ...({len(value)} items)' if len(value) > 5 else ''}]"
    if isinstance(value, dict):
        shown = ", ".join(f"{short(k, room)}: {short(v, room)}" for k, v in list(value.items())[:12])
        return f"{{{shown}{f', ...({len(value)} keys)' if len(value) > 12 else ''}}}"
    return repr(value)


@dataclass(frozen=True)
class Samples:
    """What the data holds, so that valid calls reach past the lookups: known ids by kind
    (a field whose name holds the kind draws them, `"unit"` for `unit_id` and `node_id`...) and
    realistic values by field name."""

    ids: Mapping[str, Sequence[str]] = field(default_factory=dict)
    values: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    longest: int = 1_000_000  # the longest string a hostile value has
    widest: int = 10_000  # the longest list a hostile value has
    deepest: int = 200  # the deepest nesting a hostile value has
    depth: int = 0  # how deep in nested schemas the values being made are
    deepest_schema: int = 3  # below this, objects of a nested schema get their required fields only
    kinds: Mapping[str, str] = field(default_factory=lambda: {
        "node": "unit", "parent": "unit", "community": "unit", "duplicate_of": "case"})

    def ids_for(self, name: str) -> list[str]:
        kind = next((k for k in self.ids if k in name), None)
        kind = kind or next((v for k, v in self.kinds.items() if k in name), None)
        return list(self.ids.get(kind, ())) if kind else []

    def deeper(self) -> "Samples":
        return dataclasses.replace(self, depth=self.depth + 1)


def is_refused_text(value: Any) -> bool:
    """Whether `value` holds, at any depth, a string the services refuse (NUL, lone surrogate)."""
    if isinstance(value, str):
        return "\x00" in value or re.search("[\ud800-\udfff]", value) is not None
    if isinstance(value, dict):
        return any(is_refused_text(k) or is_refused_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(is_refused_text(v) for v in value)
    return False

"""Where a person belongs, for the question "may this caller see them?": the lineage ids of
their home unit and of every unit they applied or were appointed to (current or past).

A person is visible to a caller whose jurisdiction's own unit (its last id) is among those
places, and to root callers; the store keeps the places on the person (`places`) so that a
search inside a jurisdiction is one indexed equality. Plain Python: no database here.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from services.rosters.tree import lineage

#: Matches no stored place: a caller who is not root and has no jurisdiction sees nobody.
NOWHERE = "(no jurisdiction)"


class Caller(Protocol):
    jurisdiction: Sequence[str]

    def may_act_on(self, lineage: Sequence[str]) -> bool: ...


def places_of(units: Iterable[Mapping]) -> list[str]:
    """Every unit id in the lineages of `units`, each once, in the order first met."""
    return list(dict.fromkeys(unit_id for unit in units for unit_id in lineage(unit)))


def is_root(caller: Caller) -> bool:
    """A caller who acts on the whole tree (roles `system` and `admin`)."""
    return caller.may_act_on([])


def sees(caller: Caller, person: Mapping) -> bool:
    """Whether the caller may see this person at all."""
    return caller.may_act_on(person.get("places") or [])


def scope(caller: Caller) -> str | None:
    """The place a caller's reads are kept to (None: anywhere, for root callers)."""
    if is_root(caller):
        return None
    return caller.jurisdiction[-1] if caller.jurisdiction else NOWHERE

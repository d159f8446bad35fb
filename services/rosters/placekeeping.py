"""Keeping each person's places (`services.rosters.places`) and each appointment's `lineage`
in step with the tree: set when a person is registered at a home, joined when they apply
somewhere, recomputed for everyone below a unit that moved, filled in at start for what was
stored before they were kept. Every write here is idempotent: running one again is harmless."""

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from services.rosters.places import places_of
from services.rosters.repository import RostersStore
from services.rosters.tree import lineage
from shared.errors import LinliError

CHUNK = 500  # people or appointments read and settled together
TRIES = 3  # compare-and-sets of one person's places while others keep adding to them
T = TypeVar("T")


def note_appointment(store: RostersStore, appointment: Mapping) -> None:
    """The appointment's unit and the units above it join the person's places; then its
    `places_pending` is cleared (a process that died between is finished at start)."""
    store.people.add_places(appointment["person_id"], list(appointment["lineage"]))
    store.appointments.update(appointment["_id"], {"$unset": {"places_pending": ""}})


def moving(store: RostersStore, unit_id: str, move: Callable[[], T]) -> T:
    """Run `move` (the unit's move with its descendants), then bring the places of the people
    and appointments below the unit in line. The unit is marked before the move and cleared
    after, so a process that dies between leaves a mark that the next start finishes; a move
    refused before it wrote anything clears the mark (one that failed part way leaves the unit
    `rebase_pending`, which the next start finishes too)."""
    store.place_repairs.mark(unit_id)
    try:
        moved = move()
    except LinliError:
        store.place_repairs.clear(unit_id)
        raise
    follow_move(store, unit_id)
    store.place_repairs.clear(unit_id)
    return moved


def follow_move(store: RostersStore, unit_id: str) -> None:
    """Everyone and every appointment at or below a moved unit, placed as the tree now is."""
    recompute(store, store.people.with_place(unit_id))
    appointments = store.appointments.with_lineage(unit_id)
    _set_lineages(store, appointments)


def backfill(store: RostersStore) -> None:
    """At start: moves and applications a dead process left half followed, then the people
    and appointments stored before places were kept."""
    for unit_id in store.place_repairs.pending():
        follow_move(store, unit_id)
        store.place_repairs.clear(unit_id)
    for appointment in store.appointments.with_places_pending():
        note_appointment(store, appointment)
    while appointments := store.appointments.without_lineage(CHUNK):
        _set_lineages(store, appointments)
    while people := store.people.without_places(CHUNK):
        recompute(store, people)


def recompute(store: RostersStore, people: Iterable[Mapping]) -> None:
    """Each person's places from their home and their appointments' units as they are now;
    a compare-and-set on the places read, so one added meanwhile is read again, not lost."""
    for chunk in _chunks(list(people)):
        wanted = _wanted_places(store, chunk)
        for person in chunk:
            if not _settled(store, person, wanted[person["_id"]]):
                _settle_again(store, person["_id"])


def _settled(store: RostersStore, person: Mapping, wanted: list[str]) -> bool:
    """True once the person's places are `wanted` (False: they changed since read)."""
    current = person.get("places")
    if current is not None and set(current) == set(wanted):
        return True
    return store.people.set_places(person["_id"], wanted, current)


def _settle_again(store: RostersStore, person_id: str) -> None:
    for _ in range(TRIES):
        person = store.people.get(person_id)
        if _settled(store, person, _wanted_places(store, [person])[person_id]):
            return


def _wanted_places(store: RostersStore, people: list[Mapping]) -> dict[str, list[str]]:
    appointments = store.appointments.of_people([p["_id"] for p in people])
    homes = {p["_id"]: [p["home_unit_id"]] if p.get("home_unit_id") else [] for p in people}
    units = store.units.get_many([u for home in homes.values() for u in home] + [a["unit_id"] for a in appointments])
    unit_ids = {p["_id"]: list(homes[p["_id"]]) for p in people}
    for appointment in appointments:
        unit_ids[appointment["person_id"]].append(appointment["unit_id"])
    return {person_id: places_of(units[u] for u in ids if u in units) for person_id, ids in unit_ids.items()}


def _set_lineages(store: RostersStore, appointments: list[Mapping]) -> None:
    units = store.units.get_many(a["unit_id"] for a in appointments)
    for appointment in appointments:
        unit = units.get(appointment["unit_id"])
        wanted = lineage(unit) if unit else []
        if appointment.get("lineage") != wanted:
            store.appointments.update(appointment["_id"], {"$set": {"lineage": wanted}})


def _chunks(items: list[T]) -> Iterable[list[T]]:
    return (items[i:i + CHUNK] for i in range(0, len(items), CHUNK))

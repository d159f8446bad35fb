"""The events rosters announces, built from the documents they describe."""

from datetime import date

from shared.events import envelope


def unit_changed(unit: dict, change: str, actor: dict, subtree: bool = False) -> dict:
    """The event that makes every rosters instance forget its cached copy of the unit
    (with `subtree`, of the units below it too); written with the change's last write."""
    payload = {"unit_id": unit["_id"], "community_id": unit.get("community_id"), "change": change,
               "subtree": subtree}
    return envelope("unit_changed", payload, actor)


def appointment_payload(appointment: dict) -> dict:
    return {k: appointment[k] for k in ("person_id", "unit_id", "community_id", "role")} | {
        "appointment_id": appointment["_id"]}


def day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value

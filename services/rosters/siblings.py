"""One name per active child: each name in use under a parent is claimed by a document of
`unit_names` (`_id` `<parent>:<name key>`, see `tree.sibling_key`), so of callers giving two
units one name at once (create, rename, move) exactly one gets it; retired units hold none."""

from collections.abc import Mapping
from datetime import timedelta

from pymongo.collection import Collection

from services.rosters import tree
from services.rosters.exceptions import Conflict, SiblingNameTaken
from shared.clock import utcnow
from shared.writes import insert_or_get

#: How long a claim whose unit does not bear the name (yet) keeps it: a create or rename under
#: way. Past it (the process died half way), another unit may take the name over.
HOLD_SECONDS = 600
RETRIES = 5


class SiblingNames:
    """The claims (`names`), checked against the units themselves (`units`, read only)."""

    def __init__(self, names: Collection, units: Collection):
        self.coll = names
        self.units = units

    def claim(self, parent_id: str | None, name: str, unit_id: str) -> None:
        """Give `name` under `parent_id` to `unit_id`, or raise `SiblingNameTaken` naming `name`."""
        key = tree.sibling_key(parent_id, name)
        for _ in range(RETRIES):
            now = utcnow()
            stored, created = insert_or_get(self.coll, {"_id": key, "unit_id": unit_id, "at": now})
            if stored is None:  # released between our insert and our read
                continue
            if stored["unit_id"] == unit_id:
                if not created:  # ours from before (a repeat): kept for another full hold
                    self.coll.update_one({"_id": key, "unit_id": unit_id}, {"$set": {"at": now}})
                break
            if self._held(stored, parent_id, name):
                raise taken(name)
            if self.coll.update_one({"_id": key, "unit_id": stored["unit_id"], "at": stored["at"]},
                                    {"$set": {"unit_id": unit_id, "at": now}}).matched_count:
                break  # a stale claim, taken over
        else:
            raise Conflict(f"the name {name} kept changing hands; try again", [{"field": "name", "reason": "busy"}])
        self._refuse_unclaimed_twin(key, parent_id, name, unit_id)

    def take(self, unit: Mapping, parent_id: str, name: str) -> None:
        """Before an active unit is renamed or moved: its new name there is free, and now claimed."""
        if not unit.get("retired"):
            self.claim(parent_id, name, unit["_id"])

    def leave(self, unit: Mapping, parent_id: str, name: str) -> None:
        """After: the name `unit` (as it was) bore under its old parent is free, unless it kept it."""
        if tree.sibling_key(unit["parent_id"], unit["name"]) != tree.sibling_key(parent_id, name):
            self.release(unit["parent_id"], unit["name"], unit["_id"])

    def release(self, parent_id: str | None, name: str, unit_id: str) -> None:
        """The unit no longer bears this name there (renamed, moved away or retired)."""
        self.coll.delete_one({"_id": tree.sibling_key(parent_id, name), "unit_id": unit_id})

    def _held(self, claim: Mapping, parent_id: str | None, name: str) -> bool:
        """A claim counts while its unit is active and bears the name there, or, for a change
        still under way, while it is younger than `HOLD_SECONDS`."""
        holder = self.units.find_one({"_id": claim["unit_id"]}, {"name": 1, "parent_id": 1, "retired": 1})
        if holder is not None and holder.get("retired"):
            return False
        if holder is not None and holder.get("parent_id") == parent_id and _same(holder["name"], name):
            return True
        return utcnow() - claim["at"] < timedelta(seconds=HOLD_SECONDS)

    def _refuse_unclaimed_twin(self, key: str, parent_id: str | None, name: str, unit_id: str) -> None:
        """A sibling of that name made before names were claimed keeps it: the claim is handed to it."""
        sibling = active_child_named(self.units, parent_id, name, other_than=unit_id)
        if sibling is not None:
            self.coll.update_one({"_id": key, "unit_id": unit_id}, {"$set": {"unit_id": sibling["_id"]}})
            raise taken(name)


def active_child_named(units: Collection, parent_id: str | None, name: str,
                       other_than: str | None = None) -> dict | None:
    """The active unit under the parent (a root when `parent_id` is None) whose name is this one
    as siblings compare names (`tree.name_key`: "２栋" is "2栋"), leaving out `other_than`."""
    return next((unit for unit in units.find({"parent_id": parent_id, "retired": False})
                 if unit["_id"] != other_than and _same(unit["name"], name)), None)


def taken(name: str) -> SiblingNameTaken:
    return SiblingNameTaken(f"another active unit under this parent is named {name}",
                            [{"field": "name", "reason": "is already the name of a sibling"}])


def _same(a: str, b: str) -> bool:
    return tree.name_key(a) == tree.name_key(b)

"""Rosters' queries: the responsible chain, duty, coverage gaps, people search."""

import re

from services.rosters import places, queries, tree
from services.rosters.exceptions import UnitNotFound
from services.rosters.repository import RostersStore
from shared.actor import Actor
from shared.errors import field_error
from shared.privacy import sees_numbers


class Reader:
    """Queries as one actor sees them: masked numbers unless the role needs them,
    every unmasked read audited."""

    def __init__(self, store: RostersStore, actor: Actor, unmask_roles: list[str]):
        self.store = store
        self.actor = actor
        self.unmasked = sees_numbers(actor.role, unmask_roles, actor.who)

    def audit(self, rpc: str, person_ids: list[str]) -> None:
        """Kept with the lineage of the reader's own unit (`actor.lineage`), so a secretary can
        list the reads made inside their jurisdiction (`pii_reads`)."""
        if self.unmasked and person_ids:
            self.store.pii_reads.record({**self.actor.as_dict(), "lineage": self._own_lineage()}, rpc, person_ids)

    def _own_lineage(self) -> list[str]:
        if not self.actor.jurisdiction:
            return []
        try:
            return tree.lineage(self.store.units.cached(self.actor.jurisdiction[-1]))
        except UnitNotFound:
            return list(self.actor.jurisdiction)

    def unit(self, unit_id: str) -> dict:
        unit = self.store.units.cached(unit_id)
        self.actor.require(tree.lineage(unit))
        return unit

    def locate(self, path: list[str]) -> dict:
        """The active unit at a path of names from the root, e.g. [雨花区, …, 金昌花园, 2栋, 1单元]."""
        unit = self.store.units.at_path(path)
        self.actor.require(tree.lineage(unit))
        return unit

    def person(self, person: dict, rpc: str = "person") -> dict:
        view = queries.person_view(person, self.unmasked)
        self.audit(rpc, [view["person_id"]])
        return view

    def responsible_chain(self, unit_id: str) -> list[dict]:
        """Served from the unit cache: see `UnitCache` for how long a change may take to show."""
        unit = self.store.units.cached(unit_id)
        self.actor.require(tree.lineage(unit))
        ancestors = self.store.units.chain_ancestors(unit)
        chain = queries.responsible_chain(unit, ancestors, self.unmasked)
        self.audit("responsible_chain", [p["person_id"] for level in chain for p in level["leaders"]])
        return chain

    def on_duty(self, community_id: str, day: str) -> dict | None:
        community = self.store.units.get(community_id, "community_id")
        self.actor.require(tree.lineage(community))
        entry = self.store.duty.on(community_id, day)
        if entry is None:
            return None
        person = queries.person_view(self.store.people.get(entry["person_id"]), self.unmasked)
        self.audit("on_duty", [person["person_id"]])
        return {"community_id": community_id, "date": day, "person": person}

    def coverage_gaps(self, node_id: str, role: str) -> list[dict]:
        node = self.store.units.get(node_id, "node_id")
        self.actor.require(tree.lineage(node))
        community_id = node.get("community_id")
        roles = self.store.units.get(community_id)["config"]["roles"] if community_id else tree.DEFAULT_ROLES
        if role not in roles:
            raise field_error("role", f"not a configured role: {role}")
        return queries.coverage_gaps(self.store.units.subtree(node_id), role, roles[role])

    def search_people(self, data: dict) -> list[dict]:
        """Only people a caller who is not root may see: homed or (ever) appointed inside
        their jurisdiction (`services.rosters.places`), one indexed equality on `places`."""
        within = places.scope(self.actor)
        query: dict = {} if within is None else {"places": within}
        if data.get("place_id"):  # inside the jurisdiction, so its people's places hold `within` too
            self.actor.require(tree.lineage(self.store.units.get(data["place_id"], "place_id")))
            query["places"] = data["place_id"]
        if data.get("name"):
            query["name"] = {"$regex": re.escape(data["name"])}
        if data.get("skill"):
            query["skills"] = data["skill"]
        if data.get("party_member") is not None:
            query["party_member"] = data["party_member"]
        ids = None
        if data.get("role") or data.get("unit_id"):
            ids = self._appointed_people(data.get("role"), data.get("unit_id"))
        if data.get("person_ids"):
            ids = [i for i in dict.fromkeys(data["person_ids"]) if ids is None or i in set(ids)]
        people = self.store.people.search(query, ids, data["limit"], data["offset"])
        views = [queries.person_view(p, self.unmasked) for p in people]
        self.audit("search_people", [v["person_id"] for v in views])
        return views

    def _appointed_people(self, role: str | None, unit_id: str | None) -> list[str]:
        """People currently appointed (in `role`, at `unit_id`) inside the caller's jurisdiction."""
        within = places.scope(self.actor)
        query: dict = {} if within is None else {"lineage": within}
        if role:
            query["role"] = role
        if unit_id:
            self.actor.require(tree.lineage(self.store.units.get(unit_id)))
            query["unit_id"] = unit_id
        return [a["person_id"] for a in self.store.appointments.current(query)]

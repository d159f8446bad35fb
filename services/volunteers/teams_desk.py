"""Teams and their members: load what a step needs (people and places from rosters over RPC),
check the caller's right, write. Every function takes its collaborators as parameters."""

import unicodedata
from collections.abc import Mapping
from datetime import datetime

from services.volunteers import membership
from services.volunteers.exceptions import Conflict, Forbidden
from services.volunteers.others import People, lineage_of
from services.volunteers.repository import VolunteersStore
from services.volunteers.rights import admit
from shared.actor import Actor
from shared.errors import field_error
from shared.ids import derived_id
from shared.requests import applied


def team_id_for(node_id: str, name: str) -> str:
    """One team per name at a node: the id derives from both (the name compared after NFKC,
    without case or surrounding spaces), so two offices creating it at once meet on one team."""
    key = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    return derived_id("team", node_id, key)


def member_id_for(team_id: str, person_id: str) -> str:
    return derived_id("mbr", team_id, person_id)


def status_of(store: VolunteersStore):
    """A person's membership status in a team (None: not a member), as `rights.admit` asks it."""

    def status(team_id: str, person_id: str) -> str | None:
        member = store.members.find(member_id_for(team_id, person_id))
        return None if member is None else member["status"]

    return status


def create_team(store: VolunteersStore, people: People, actor: Actor, data: Mapping, now: datetime) -> dict:
    node = people.node(data["node_id"])
    lineage = lineage_of(node)
    actor.require(lineage)
    if node.get("retired"):
        raise field_error("node_id", "the unit is retired")
    leader = None
    if data.get("leader_phone"):
        person = people.by_phone(data["leader_phone"], "leader_phone")
        leader = {"person_id": person["person_id"], "name": person["name"]}
    team = {"_id": team_id_for(node["unit_id"], data["name"]), "name": data["name"].strip(), "kind": data["kind"],
            "description": data.get("description"), "node_id": node["unit_id"], "node_name": node["name"],
            "lineage": lineage, "community_id": node.get("community_id"), "skills": list(data["skills"]),
            "categories": list(data["categories"]), "leader": leader, "created_by": actor.as_dict(),
            "created_at": now, "version": 1}
    stored, created = store.teams.insert_new(team)
    if not created and any(stored.get(k) != team[k] for k in ("kind", "skills", "categories", "leader")):
        raise Conflict(f"a team named {data['name']} exists at {node['unit_id']}",
                       [{"field": "name", "reason": "is already the name of a team here", "team_id": stored["_id"]}])
    return stored


def apply_member(store: VolunteersStore, people: People, actor: Actor, data: Mapping, now: datetime) -> dict:
    """A person of the roster applies to a team (a new application after leaving or being
    rejected starts again); applying again while applied, active or paused changes nothing."""
    team = store.teams.get(data["team_id"])
    admit("apply_member", actor, team)
    person = people.by_phone(data["phone"])
    home_community = None
    if person.get("home_unit_id"):
        home_community = people.node(person["home_unit_id"], "phone").get("community_id")
    member_id = member_id_for(team["_id"], person["person_id"])
    entry = {"action": "apply", "at": now, "actor": actor.as_dict(), "note": data.get("note"),
             **({"request_id": data["request_id"]} if data.get("request_id") else {})}
    fields = {"team_id": team["_id"], "team_name": team["name"], "lineage": list(team["lineage"]),
              "person_id": person["person_id"], "name": person["name"], "phone": data["phone"],
              "profession": data.get("profession") or person.get("occupation"),
              "skills": list(dict.fromkeys([*data["skills"], *(person.get("skills") or [])])),
              "availability": list(data["availability"]), "party_member": bool(person.get("party_member")),
              "work_unit": data.get("work_unit"), "home_unit_id": person.get("home_unit_id"),
              "home_community_id": home_community, "status": "applied", "applied_at": now, "screening": None}
    member, created = store.members.insert_new({"_id": member_id, **fields, "history": [entry], "created_at": now})
    if created or member["status"] in ("applied", "active", "paused"):
        return member
    again = store.members.update(member_id, {**fields, "left_reason": None, "paused_reason": None}, entry,
                                 when={"status": member["status"]})
    return again or store.members.get(member_id)


def screen_member(store: VolunteersStore, actor: Actor, data: Mapping, now: datetime) -> dict:
    member = store.members.get(data["member_id"])
    admit("screen_member", actor, store.teams.get(member["team_id"]))
    if applied(member.get("history"), data.get("request_id"), actor.who):
        return member
    change = membership.screening(member, data["passed"], data.get("note"), actor.as_dict(), now)
    return _write(store, member, change, "screen", actor, data, now)


def set_member_status(store: VolunteersStore, actor: Actor, data: Mapping, now: datetime) -> dict:
    member = store.members.get(data["member_id"])
    team = store.teams.get(member["team_id"])
    admit("set_member_status", actor, team, person_id=member["person_id"], status_of=status_of(store))
    if actor.role == "volunteer" and data["status"] == "active":
        raise Forbidden(f"{actor.who} (volunteer) may not make themselves active again",
                        [{"field": "status", "reason": "only the team's office makes a member active again"}])
    if applied(member.get("history"), data.get("request_id"), actor.who):
        return member
    change = membership.moved(member, data["status"], data.get("reason"))
    if not change:
        return member
    return _write(store, member, change, data["status"], actor, data, now)


def _write(store: VolunteersStore, member: Mapping, change: dict, action: str, actor: Actor, data: Mapping,
           now: datetime) -> dict:
    entry = {"action": action, "at": now, "actor": actor.as_dict(),
             **{k: data[k] for k in ("note", "reason", "request_id") if data.get(k)}}
    written = store.members.update(member["_id"], change, entry, when={"status": member["status"]})
    if written is None:
        raise Conflict(f"member {member['_id']} changed meanwhile",
                       [{"field": "member_id", "reason": "changed meanwhile; reload and retry"}])
    return written

"""Who may call each volunteers RPC (by role group, see `shared.rights`), and the conditions
some rules put on the team, task or record itself:

- `own_team`: a support team's own account (role `support_team`, `who` the team's id) acts
  on its team only;
- `member`: a volunteer acts on a team they are an active member of;
- `self`: a volunteer acts on their own membership, claim or hours only;
- `claimant`: a volunteer acts on a task they hold a claim on.

Root, staff and leaders act inside their jurisdiction, which holds the team's node."""

from collections.abc import Callable, Mapping

from shared.errors import Forbidden, field_error
from shared.privacy import sees_numbers
from shared.rights import ANY, EVERYONE, ROOT, STAFF, Rights, by_groups

OWN_TEAM = "own_team"
MEMBER = "member"
SELF = "self"
CLAIMANT = "claimant"

_TEAM_OFFICE = by_groups(root=ANY, staff=ANY, handlers=OWN_TEAM)
_SEEING = by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=OWN_TEAM, residents=MEMBER)
_DOING = by_groups(root=ANY, staff=ANY, handlers=OWN_TEAM, residents=CLAIMANT)
_OWN = by_groups(root=ANY, staff=ANY, handlers=OWN_TEAM, residents=SELF)

RIGHTS = Rights("volunteers", {
    "create_team": STAFF,
    "get_team": EVERYONE,
    "list_teams": EVERYONE,
    "apply_member": by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=OWN_TEAM),
    "screen_member": _TEAM_OFFICE,
    "set_member_status": _OWN,
    "list_members": by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=OWN_TEAM),
    "open_task": _TEAM_OFFICE,
    "cancel_task": _TEAM_OFFICE,
    "get_task": _SEEING,
    "list_tasks": _SEEING,
    "claim_task": by_groups(root=ANY, staff=ANY, handlers=OWN_TEAM, residents=MEMBER),
    "confirm_claim": _OWN,
    "withdraw_claim": _OWN,
    "start_task": _DOING,
    "finish_task": _DOING,
    "record_consultation": _DOING,
    "log_hours": _OWN,
    "verify_hours": _TEAM_OFFICE,
    "hours_report": by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=OWN_TEAM, residents=SELF),
    "hours_export": by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=OWN_TEAM, residents=SELF),
    "labels": EVERYONE,
    "journal_state": ROOT,
    "parked_events": ROOT,
    "replay_parked": ROOT,
    "consumer_counts": ROOT,
})


def admit(rpc: str, actor, team: Mapping, *, person_id: str | None = None, task: Mapping | None = None,
          status_of: Callable[[str, str], str | None] = lambda team_id, person_id: None) -> str | None:
    """Check the actor's rule for `rpc` on this team (and task); `status_of(team_id,
    person_id)` is a person's membership status (None: not a member). Returns the person the call
    is about: `person_id` as given by an office, the caller themselves for a volunteer."""
    rule = RIGHTS.require(rpc, actor)
    if rule == ANY:
        actor.require(team["lineage"])
        return person_id
    if rule == OWN_TEAM:
        if actor.who != team["_id"]:
            _refuse(actor, "a team's account acts on its own team only")
        return person_id
    if person_id not in (None, actor.who):
        raise Forbidden(f"{actor.who} ({actor.role}) acts only for themselves",
                        [{"field": "person_id", "reason": "a volunteer acts only for themselves"}])
    if rule == CLAIMANT and actor.who not in {c["person_id"] for c in (task or {}).get("claimants") or ()}:
        _refuse(actor, "only a member holding a claim on the task may do this")
    status = status_of(team["_id"], actor.who)
    if rule == SELF and status not in ("applied", "active", "paused"):
        _refuse(actor, "only a member of the team may do this")
    if rule in (MEMBER, CLAIMANT) and status != "active":
        _refuse(actor, "only an active member of the team may do this")
    return actor.who


def office_person(person_id: str | None) -> str:
    """An office acting for a member names them."""
    if not person_id:
        raise field_error("person_id", "required: the member this is for")
    return person_id


def _refuse(actor, reason: str) -> None:
    raise Forbidden(f"{actor.who} ({actor.role}): {reason}", [{"field": "role", "reason": reason}])


def sees_wisher(actor, task: Mapping, unmask_roles: tuple[str, ...]) -> bool:
    """Whether the caller sees the phone of a 微心愿's resident: a role that sees numbers, the
    team's own account (it arranges the visit), or a volunteer holding a place on the task."""
    if sees_numbers(actor.role, unmask_roles, actor.who):
        return True
    if actor.role == "support_team":
        return actor.who == task["team_id"]
    return actor.role == "volunteer" and actor.who in {c["person_id"] for c in task.get("claimants") or ()}

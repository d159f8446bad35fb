"""Who may call each notifications RPC (by role group, see `shared.rights`), and the conditions
some rules put on the target:

- `sender`: a leader sees the notices they sent, and their messages;
- `recipient`: a person sees their own messages;
- `self`: a person reads their own inbox and keeps their own preferences (`person_id`, when
  given, must be theirs).

Root acts everywhere; staff (and leaders for `notify`) inside their jurisdiction, which must
hold every place a notice names (and only root and staff send to a list of people by id)."""

from collections.abc import Mapping

from shared.errors import Forbidden, field_error
from shared.rights import ANY, EVERYONE, ROOT, STAFF, Rights, by_groups

SENDER = "sender"
RECIPIENT = "recipient"
SELF = "self"

_OWN = by_groups(root=ANY, staff=ANY, leaders=SELF, handlers=SELF, residents=SELF)

RIGHTS = Rights("notifications", {
    "notify": by_groups(root=ANY, staff=ANY, leaders=ANY),
    "notice_status": by_groups(root=ANY, staff=ANY, leaders=SENDER),
    "list_messages": by_groups(root=ANY, staff=ANY, leaders=SENDER),
    "message_status": by_groups(root=ANY, staff=ANY, leaders=RECIPIENT, handlers=RECIPIENT, residents=RECIPIENT),
    "parked_messages": STAFF,
    "replay_message": STAFF,
    "inbox": _OWN,
    "mark_read": _OWN,
    "get_preferences": _OWN,
    "set_preferences": _OWN,
    "catalogue": EVERYONE,
    "input_schemas": EVERYONE,
    "journal_state": ROOT,
    "parked_events": ROOT,
    "replay_parked": ROOT,
    "consumer_counts": ROOT,
})


def person_for(rpc: str, actor, person_id: str | None) -> str:
    """The person an own-data RPC acts for: anyone for root and staff (`person_id` required),
    else the caller themselves."""
    rule = RIGHTS.require(rpc, actor)
    if rule == SELF:
        if person_id not in (None, actor.who):
            raise Forbidden(f"{actor.who} ({actor.role}) acts only for themselves",
                            [{"field": "person_id", "reason": "only your own"}])
        return actor.who
    if not person_id:
        raise field_error("person_id", "is required")
    return person_id


def may_see(rpc: str, actor, doc: Mapping) -> None:
    """A notice or message: root sees all, staff inside their jurisdiction (its `scope`), a
    leader what they sent, a person their own messages; `Forbidden` otherwise."""
    rule = RIGHTS.require(rpc, actor)
    allowed = {ANY: lambda: actor.may_act_on(doc.get("scope") or []) or (doc.get("by") or {}).get("who") == actor.who,
               SENDER: lambda: (doc.get("by") or {}).get("who") == actor.who,
               RECIPIENT: lambda: doc.get("person_id") == actor.who}[rule]
    if not allowed():
        raise Forbidden(f"{actor.who} ({actor.role}) may not see {doc['_id']}",
                        [{"field": "jurisdiction", "reason": "outside your jurisdiction"}])

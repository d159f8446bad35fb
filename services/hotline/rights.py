"""Who may call each hotline RPC (by role group, see `shared.rights`). Root acts everywhere;
staff on the tickets of their jurisdiction (a ticket lies where its case does, and before its
case is opened at the community it was sent to). Pulling, importing, replaying and the
reconciliation are the community office's work; the platforms' sync state is ops'."""

from collections.abc import Mapping

from shared.errors import Forbidden
from shared.rights import EVERYONE, OFFICIALS, ROOT, STAFF, Rights

RIGHTS = Rights("hotline", {
    "get_ticket": STAFF,
    "list_tickets": STAFF,
    "return_ticket": STAFF,
    "import_tickets": STAFF,
    "pull_now": STAFF,
    "parked": STAFF,
    "manual_calls": STAFF,
    "confirm_entered": STAFF,
    "replay": STAFF,
    "sync_state": STAFF,
    "kpis": OFFICIALS,
    "reconciliation": STAFF,
    "labels": EVERYONE,
    "journal_state": ROOT,
    "parked_events": ROOT,
    "replay_parked": ROOT,
    "consumer_counts": ROOT,
})


def lineage_of(ticket: Mapping) -> list[str]:
    return list(ticket.get("lineage") or [ticket["community_id"]])


def admit(rpc: str, actor, ticket: Mapping) -> None:
    """`Forbidden` unless the actor may call `rpc` on this ticket."""
    RIGHTS.require(rpc, actor)
    if not actor.may_act_on(lineage_of(ticket)):
        raise Forbidden(f"{actor.who} ({actor.role}) may not act on this ticket",
                        [{"field": "jurisdiction", "reason": "outside your jurisdiction"}])

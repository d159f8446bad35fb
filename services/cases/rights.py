"""Who may call each cases RPC (by role group, see `shared.rights`), and the conditions some
rules put on the case itself: only the assignee's side takes and works a dispatched case; a
resident sees and judges only their own reports; staff or leaders record a verdict only on
the reporter's behalf, saying how they got it, and never on a case they handled."""

from collections.abc import Mapping

from shared.errors import Forbidden
from shared.rights import ANY, EVERYONE, GROUPS, OFFICIALS, ROOT, STAFF, Rights, by_groups

ASSIGNEE_SIDE = "assignee_side"
OWN_REPORT = "own_report"
FOR_REPORTER = "for_reporter"

_WORKING = by_groups(root=ANY, staff=ASSIGNEE_SIDE, leaders=ASSIGNEE_SIDE, handlers=ASSIGNEE_SIDE)

RIGHTS = Rights("cases", {
    "report": EVERYONE,
    "self_resolve": OFFICIALS,
    "escalate": OFFICIALS,
    "triage": STAFF,
    "dispatch": STAFF,
    "mark_duplicate": STAFF,
    "send_back": STAFF,
    "suspend": STAFF,
    "resume": STAFF,
    "decide_extension": STAFF,
    "accept": _WORKING,
    "resolve": _WORKING,
    "request_extension": _WORKING,
    "progress": {**_WORKING, "staff": ANY},
    "mediate": {**_WORKING, "staff": ANY},
    "return_case": {**_WORKING, "staff": ANY},
    "evaluate": by_groups(root=ANY, staff=FOR_REPORTER, leaders=FOR_REPORTER, residents=OWN_REPORT),
    "get_case": by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=ANY, residents=OWN_REPORT),
    "search": by_groups(root=ANY, staff=ANY, leaders=ANY, handlers=ANY, residents=OWN_REPORT),
    "stats": OFFICIALS,
    "schedule_meeting": OFFICIALS,
    "record_meeting": OFFICIALS,
    "record_payment": OFFICIALS,
    "get_meeting": OFFICIALS,
    "labels": EVERYONE,
    "input_schemas": EVERYONE,
    "journal_state": ROOT,
})


def on_assignee_side(actor, case: Mapping) -> bool:
    """A person assignee is that person; a community assignee is its staff; an organisation
    (property company, owners' committee, department, support team) acts with its role and,
    when the dispatch named its party id, with that id as `who`."""
    assignee = case.get("assignee") or {}
    kind, party_id = assignee.get("kind"), assignee.get("party_id")
    if kind == "person":
        return party_id is not None and actor.who == party_id
    if kind == "community":
        return actor.role in GROUPS["staff"]
    return actor.role == kind and party_id in (None, actor.who)


def reported_it(actor, case: Mapping) -> bool:
    reporter = case.get("reported_by") or {}
    return reporter.get("who") == actor.who and reporter.get("role") == actor.role


def handled_it(actor, case: Mapping) -> bool:
    """The actor took the case, or is the person or organisation it was dispatched to (of a
    community's office, only the one who took it)."""
    if (case.get("handler") or {}).get("who") == actor.who:
        return True
    return (case.get("assignee") or {}).get("kind") != "community" and on_assignee_side(actor, case)


def check_condition(condition: str, actor, case: Mapping, data: Mapping) -> None:
    """`Forbidden` naming the reason when `actor` may not take this step on this case."""
    if condition == ANY:
        return
    if condition == ASSIGNEE_SIDE and not on_assignee_side(actor, case):
        _refuse(actor, "role", "only the assignee's side may do this")
    if condition == OWN_REPORT and not reported_it(actor, case):
        _refuse(actor, "role", "a resident acts only on their own reports")
    if condition == FOR_REPORTER:
        if handled_it(actor, case):
            _refuse(actor, "role", "the side handling a case may not record its verdict")
        if not data.get("on_behalf_of_reporter"):
            raise Forbidden(f"{actor.who} ({actor.role}) records a verdict only on the reporter's behalf",
                            [{"field": "on_behalf_of_reporter",
                              "reason": "required: how the reporter's verdict was obtained (e.g. 电话回访)"}])


def _refuse(actor, field: str, reason: str) -> None:
    raise Forbidden(f"{actor.who} ({actor.role}): {reason}", [{"field": field, "reason": reason}])

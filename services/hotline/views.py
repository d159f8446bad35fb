"""What the RPCs return: plain JSON, times as ISO text, the citizen's phone masked unless the
role needs it."""

from collections.abc import Mapping
from typing import Any

from services.hotline.tickets import STATE_LABELS
from shared.clock import plain
from shared.privacy import mask_phone

HIDDEN = ("_id", "citizen", "updates_seen", "call_ids")
CALL_FIELDS = ("action", "state", "attempts", "due_at", "done_at", "reason", "parked_reason", "last_error",
               "waiting_for", "answer")


def _citizen(ticket: Mapping, unmasked: bool) -> dict:
    citizen = dict(ticket.get("citizen") or {})
    if not unmasked:
        citizen["phone"] = mask_phone(citizen.get("phone"))
    return citizen


def ticket_view(ticket: Mapping, unmasked: bool, calls: list[Mapping] = ()) -> dict:
    view: dict[str, Any] = plain({k: v for k, v in ticket.items() if k not in HIDDEN})
    view.update({"ticket_id": ticket["_id"], "state_label": STATE_LABELS.get(ticket["state"], ticket["state"]),
                 "citizen": _citizen(ticket, unmasked),
                 "calls": [plain({"call_id": c["_id"], **{k: c.get(k) for k in CALL_FIELDS}}) for c in calls]})
    return view


def ticket_summary(ticket: Mapping, unmasked: bool) -> dict:
    return plain({"ticket_id": ticket["_id"], "platform": ticket["platform"], "ticket_no": ticket["ticket_no"],
                  "state": ticket["state"], "state_label": STATE_LABELS.get(ticket["state"], ticket["state"]),
                  "request_type": ticket["request_type"], "urgency": ticket["urgency"],
                  "citizen": _citizen(ticket, unmasked), "case_id": ticket.get("case_id"),
                  "community_id": ticket["community_id"], "received_at": ticket["received_at"],
                  "deadlines": ticket["deadlines"], "revision": ticket["revision"]})


def manual_view(call: Mapping) -> dict:
    return plain({"call_id": call["_id"], "ticket_no": call["ticket_no"], "action": call["action"],
                  "at": call["at"], **{k: call.get(k) for k in ("result", "reason", "working_days") if call.get(k)}})


def parked_view(doc: Mapping) -> dict:
    """A parked record or call: `reason`, why it is parked; a call's own reason (a return's, an
    extension's) as `call_reason`."""
    fields = {k: v for k, v in doc.items() if k not in ("_id", "log", "parked_reason")}
    if "parked_reason" in doc:
        fields.update({"reason": doc["parked_reason"], **({"call_reason": doc["reason"]} if "reason" in doc else {})})
    return plain({"parked_id": doc["_id"], **fields})

"""Notices: made by `notify` or by another service's event, checked (template and fields,
the caller's right over every place an audience names), kept, then fanned out."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.notifications.audiences import Directory, kind_of
from services.notifications.exceptions import KeyReused, OtherServiceUnavailable
from services.notifications.templates import needed
from services.notifications.triggers import Trigger
from shared.actor import Actor
from shared.calls import call
from shared.errors import Forbidden, ValidationFailed, field_error
from shared.ids import derived_id, new_id
from shared.rights import GROUP_OF

#: What tells where an audience lies: its place (rosters `get_unit`) or its team (volunteers `get_team`).
PLACE_KEYS = ("node_id", "residents_of", "chain_of")


def check_template(catalogue: Mapping, template_id: str, given: Mapping) -> None:
    template = catalogue.get(template_id)
    if template is None:
        raise field_error("template", f"is not a known template: {template_id}")
    missing = sorted(needed(template) - set(given) - {"recipient_name"})
    if missing:
        raise field_error(f"fields.{missing[0]}", "is needed by the template")


def scope_of(actor: Actor, audiences: list[Mapping], directory: Directory, timeout: float) -> list[str]:
    """The lineage every audience lies under (the first place's), after checking that the
    caller may reach each one; a list of people is for root and staff only."""
    scope: list[str] = []
    for n, audience in enumerate(audiences):
        kind = kind_of(audience)
        if kind == "people":
            if GROUP_OF.get(actor.role) not in ("root", "staff"):
                raise Forbidden(f"{actor.who} ({actor.role}) may not notify people by id",
                                [{"field": f"to.{n}.people", "reason": "only staff notify a list of people"}])
            continue
        if kind == "team_id":
            team = call(directory.volunteers, "volunteers", "get_team", timeout, f"to.{n}.team_id",
                        OtherServiceUnavailable, team_id=audience["team_id"])
            lineage = list(team["lineage"])
        else:  # rosters answers as the caller, so its own jurisdiction check applies too
            unit = call(directory.rosters, "rosters", "get_unit", timeout, f"to.{n}.{kind}", OtherServiceUnavailable,
                        unit_id=audience[kind])
            lineage = [*unit.get("ancestors", []), unit["unit_id"]]
        actor.require(lineage)
        scope = scope or lineage
    return scope


def new_notice(notice_id: str, template: str, fields: Mapping[str, Any], urgency: str, audiences: list[Mapping],
               scope: list[str], by: Mapping, now: datetime, source: Mapping) -> dict:
    return {"_id": notice_id, "template": template, "fields": dict(fields), "urgency": urgency,
            "audiences": [dict(a) for a in audiences], "scope": list(scope), "by": dict(by), "source": dict(source),
            "state": "fanning_out", "recipients": 0, "skipped": [], "cursor": None, "lease_until": None,
            "created_at": now}


def notice_id_for(actor: Actor, idempotency_key: str | None) -> str:
    """The notice's id: derived from the caller and their key (a repeat meets the first), else new."""
    return derived_id("ntc", actor.who, actor.role, idempotency_key) if idempotency_key else new_id("ntc")


def same_request(stored: Mapping, fresh: Mapping) -> None:
    """A key given again must name the same notice; `KeyReused` naming `idempotency_key` otherwise."""
    keys = ("template", "fields", "urgency", "audiences")
    if any(stored.get(k) != fresh.get(k) for k in keys):
        raise KeyReused("this idempotency key was given with another notice",
                        [{"field": "idempotency_key", "reason": "was used for a different notice"}])


def from_trigger(event: Mapping, n: int, trigger: Trigger, scope: list[str], now: datetime,
                 catalogue: Mapping) -> dict | None:
    """The notice an event's `n`-th trigger makes, or None when its template cannot be filled."""
    try:
        check_template(catalogue, trigger.template, trigger.fields)
    except ValidationFailed:  # a template that lacks a field: nothing to send, and retrying will not help
        return None
    notice_id = derived_id("ntc", event["event_id"], str(n))
    return new_notice(notice_id, trigger.template, trigger.fields, trigger.urgency, trigger.audiences, scope,
                      event.get("actor") or {}, now, {"service_event": event["type"], "event_id": event["event_id"]})


"""Which events of the other services concern whom, and what they are told: one `Trigger` per
notice an event causes (template, urgency, audiences, the fields the event itself gives).

Audiences are the same shapes `notify` takes (see `audiences`); a case event's fields are
completed from the case as cases tells it (`facts`)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Case events that notify, with their template.
CASE_TEMPLATES = {"case_dispatched": "case_dispatched", "case_accepted": "case_accepted",
                  "case_overdue": "case_overdue", "case_resolved": "case_resolved", "case_reopened": "case_reopened"}
TASK_TEMPLATES = {"task_opened": "task_opened", "task_claimed": "task_promoted", "task_reminder": "task_reminder",
                  "task_unclaimed": "task_unclaimed"}
ROSTER_TEMPLATES = {"appointment_started": "appointed"}


@dataclass(frozen=True)
class Trigger:
    template: str
    urgency: str
    audiences: list[dict]
    fields: dict[str, Any] = field(default_factory=dict)


def _reported_here(unit_id: str) -> dict:
    """The leaders nearest the case's place: who collected it, and who hears how it went."""
    return {"chain_of": unit_id, "levels": 1}


def for_case(event: Mapping, case: Mapping) -> list[Trigger]:
    """`case`: the case as cases tells it (`get_case`), for its assignee and handler."""
    kind = event["type"]
    payload, detail = event["payload"], event["payload"].get("detail") or {}
    urgency = payload.get("urgency") or "normal"
    if kind == "case_dispatched":
        assignee = detail.get("assignee") or case.get("assignee") or {}
        audience = _party(assignee, payload)
        return [Trigger("case_dispatched", urgency, [audience])] if audience else []
    if kind == "case_overdue":
        supervisors = detail.get("supervisors") or {}
        if not supervisors.get("unit_id"):
            return []
        return [Trigger("case_overdue", urgency, [{"node_id": supervisors["unit_id"], "below": False}],
                        {"supervisor": supervisors.get("name") or ""})]
    if kind == "case_reopened":
        audiences = [_reported_here(payload["unit_id"])]
        handler = _party(case.get("assignee") or {}, payload)
        return [Trigger("case_reopened", urgency, audiences + ([handler] if handler else []))]
    if kind in ("case_accepted", "case_resolved"):
        return [Trigger(CASE_TEMPLATES[kind], urgency, [_reported_here(payload["unit_id"])])]
    return []


def _party(assignee: Mapping, payload: Mapping) -> dict | None:
    """Whom a party of a case is: a person, a support team's active members, the community's
    own people; an organisation outside (a property company, a department) hears through its
    own systems."""
    kind, party_id = assignee.get("kind"), assignee.get("party_id")
    if kind == "person" and party_id:
        return {"people": [party_id]}
    if kind == "support_team" and party_id:
        return {"team_id": party_id}
    if kind == "community":
        return {"node_id": payload.get("community_id"), "below": False}
    return None


def for_task(event: Mapping) -> list[Trigger]:
    kind, payload = event["type"], event["payload"]
    if kind == "task_opened" and not payload.get("case_id"):  # a case's task: the dispatch told the team
        return [Trigger("task_opened", "normal", [{"team_id": payload["team_id"]}])]
    if kind == "task_claimed" and payload.get("promoted"):
        return [Trigger("task_promoted", "urgent", [{"people": [payload["person_id"]]}])]
    if kind == "task_reminder" and payload.get("claimants"):
        return [Trigger("task_reminder", "urgent", [{"people": list(payload["claimants"])}],
                        {"starts_in_minutes": payload.get("starts_in_minutes")})]
    if kind == "task_unclaimed" and payload.get("lineage"):
        return [Trigger("task_unclaimed", "urgent", [{"node_id": payload["lineage"][-1], "below": False}],
                        {"starts_in_minutes": payload.get("starts_in_minutes")})]
    return []


def for_roster(event: Mapping) -> list[Trigger]:
    payload = event["payload"]
    if event["type"] == "appointment_started":
        return [Trigger("appointed", "normal", [{"people": [payload["person_id"]]}],
                        {"role": payload.get("role"), "unit_id": payload.get("unit_id")})]
    return []


URGENCY_LABELS = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
KIND_LABELS = {"case": "案件协办", "patrol": "巡查", "legal_talk": "法律讲座", "wish": "微心愿", "service": "志愿服务",
               "other": "其他"}


def place_of(path: list[str] | None) -> str:
    """A place as a neighbour says it: the last three names of its path (estate, building, unit)."""
    return "".join((path or [])[-3:])


def case_fields(event: Mapping, case: Mapping) -> dict[str, Any]:
    """What a case template may name, from the event and the case."""
    payload, detail = event["payload"], event["payload"].get("detail") or {}
    assignee = detail.get("assignee") or case.get("assignee") or {}
    return {"case_id": payload["case_id"], "category_label": case.get("category_label") or payload.get("category"),
            "urgency_label": URGENCY_LABELS.get(payload.get("urgency"), payload.get("urgency") or ""),
            "place": place_of(case.get("unit_path")), "assignee": assignee.get("name") or "",
            "description": case.get("description") or "", "result": detail.get("result") or detail.get("note") or ""}


def task_fields(event: Mapping, local_time) -> dict[str, Any]:
    """What a task template may name; `local_time(iso) -> text` says when in the local zone."""
    payload = event["payload"]
    return {"task_id": payload["task_id"], "title": payload.get("title") or "", "team_name": payload.get("team_name"),
            "kind_label": KIND_LABELS.get(payload.get("kind"), payload.get("kind") or ""),
            "starts_at": local_time(payload["starts_at"]) if payload.get("starts_at") else "待定",
            "headcount": payload.get("headcount"), "starts_in_minutes": payload.get("starts_in_minutes")}

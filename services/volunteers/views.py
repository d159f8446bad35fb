"""What the RPCs return: plain JSON, times as ISO text, phones masked unless the role needs them."""

from collections.abc import Mapping
from typing import Any

from services.volunteers.membership import STATUS_LABELS
from services.volunteers.taskflow import KINDS, STATE_LABELS
from shared.clock import plain
from shared.privacy import mask_phone


def team_view(team: Mapping) -> dict:
    view = plain({k: v for k, v in team.items() if k not in ("_id", "version")})
    return {"team_id": team["_id"], **view}


def member_view(member: Mapping, unmasked: bool) -> dict:
    view = plain({k: v for k, v in member.items() if k not in ("_id",)})
    view["member_id"] = member["_id"]
    view["status_label"] = STATUS_LABELS.get(member["status"], member["status"])
    if not unmasked:
        view["phone"] = mask_phone(member.get("phone"))
    return view


def task_view(task: Mapping, unmasked: bool, consultations: list[Mapping] = ()) -> dict:
    view: dict[str, Any] = plain({k: v for k, v in task.items() if k not in ("_id",)})
    view["task_id"] = task["_id"]
    view["state_label"] = STATE_LABELS.get(task["state"], task["state"])
    view["kind_label"] = KINDS.get(task["kind"], task["kind"])
    view["waiting"] = [{**w, "position": n} for n, w in enumerate(view.get("waiting") or [], start=1)]
    if view.get("wish") and not unmasked:
        view["wish"] = {**view["wish"], "phone": mask_phone(view["wish"].get("phone"))}
    view["consultations"] = [consultation_view(c) for c in consultations]
    return view


def task_summary(task: Mapping) -> dict:
    """A task in a list: no history, no owed case steps."""
    return {"task_id": task["_id"], "team_id": task["team_id"], "team_name": task["team_name"], "kind": task["kind"],
            "title": task["title"], "state": task["state"], "state_label": STATE_LABELS.get(task["state"]),
            "headcount": task["headcount"], "claimed": len(task.get("claimants") or ()),
            "waiting": len(task.get("waiting") or ()), "required_skills": list(task.get("required_skills") or ()),
            "case_id": task.get("case_id"), "unit_id": task.get("unit_id"),
            **plain({"starts_at": task.get("starts_at"), "ends_at": task.get("ends_at")})}


def consultation_view(doc: Mapping) -> dict:
    return {"consultation_id": doc["_id"], **plain({k: v for k, v in doc.items() if k != "_id"})}


def hours_view(doc: Mapping) -> dict:
    return {"hours_id": doc["_id"], **plain({k: v for k, v in doc.items() if k not in ("_id",)})}


def task_payload(task: Mapping) -> dict:
    """What every task event says (no phone numbers)."""
    return plain({"task_id": task["_id"], "team_id": task["team_id"], "team_name": task["team_name"],
                  "kind": task["kind"], "title": task["title"], "state": task["state"], "case_id": task.get("case_id"),
                  "unit_id": task.get("unit_id"), "lineage": list(task["lineage"]), "headcount": task["headcount"],
                  "starts_at": task.get("starts_at"), "ends_at": task.get("ends_at"),
                  "claimants": [c["person_id"] for c in task.get("claimants") or ()],
                  "waiting": len(task.get("waiting") or ())})

"""Service hours (志愿服务时长): one record per member and task, scheduled beside actual,
verified by the organiser; and the report per member, team and period. Pure functions."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from services.volunteers.exceptions import HoursVerified
from shared.errors import field_error


def logged(existing: Mapping | None, task: Mapping, member: Mapping, data: Mapping, scheduled: int, by: Mapping,
           now: datetime, day: date) -> dict:
    """The hours record as this log leaves it: a first log, or a correction before it is verified."""
    if existing is not None and existing.get("verification"):
        raise HoursVerified(f"hours {existing['_id']} are verified already",
                            [{"field": "hours_id", "reason": "verified already; ask the organiser"}])
    if data["actual_minutes"] > 24 * 60:
        raise field_error("actual_minutes", "at most 1440 minutes a task and day")
    return {"task_id": task["_id"], "task_title": task["title"], "team_id": task["team_id"],
            "team_name": task["team_name"], "lineage": list(task["lineage"]),
            "person_id": member["person_id"], "member_id": member["_id"], "name": member["name"],
            "day": day.isoformat(),
            "scheduled_minutes": data.get("scheduled_minutes") if data.get("scheduled_minutes") is not None
            else scheduled,
            "actual_minutes": data["actual_minutes"], "note": data.get("note"),
            "recorded_by": dict(by), "recorded_at": now, "verification": None}


def verified(record: Mapping, approved: bool, note: str | None, by: Mapping, now: datetime) -> dict:
    if record.get("verification"):
        raise HoursVerified(f"hours {record['_id']} are verified already",
                            [{"field": "hours_id", "reason": "verified already"}])
    if by.get("who") == (record.get("recorded_by") or {}).get("who") and by.get("who") == record["person_id"]:
        raise field_error("hours_id", "a member does not verify their own hours")
    return {"verification": {"approved": bool(approved), "note": note, "by": dict(by), "at": now}}


def report(records: Iterable[Mapping], first: date, last: date) -> dict:
    """Totals per member and for everyone, in minutes: scheduled, actual, and actual verified."""
    members: dict[str, dict] = {}
    total = {"tasks": 0, "scheduled_minutes": 0, "actual_minutes": 0, "verified_minutes": 0, "unverified": 0}
    for record in records:
        line = members.setdefault(record["person_id"], {"person_id": record["person_id"], "name": record["name"],
                                                        "tasks": 0, "scheduled_minutes": 0, "actual_minutes": 0,
                                                        "verified_minutes": 0, "unverified": 0})
        approved = (record.get("verification") or {}).get("approved")
        for sums in (line, total):
            sums["tasks"] += 1
            sums["scheduled_minutes"] += record["scheduled_minutes"]
            sums["actual_minutes"] += record["actual_minutes"]
            sums["verified_minutes"] += record["actual_minutes"] if approved else 0
            sums["unverified"] += 0 if record.get("verification") else 1
    return {"date_from": first.isoformat(), "date_to": last.isoformat(), "total": total,
            "members": sorted(members.values(), key=lambda m: (-m["actual_minutes"], m["name"], m["person_id"]))}

"""A 12345 ticket as the community keeps it, as pure functions over its document: opened from
the platform's record, amended only by a newer revision, its deadlines on the working-day
calendar, the case it becomes, and what a survey, a rework order and each call the platform
took do to it.

States follow the platform's loop:
```
received ─sign─▶ signed ─reply─▶ replied ─survey(satisfied)─▶ closed
                   │                 └─survey(unsatisfied) / rework─▶ reworking ─reply─▶ replied …
                   └─return (within the return window)─▶ returned
```
A survey or rework order is applied once (`updates_seen`); a record whose revision is not newer
than the one kept changes nothing."""

from collections.abc import Mapping
from datetime import datetime

from services.hotline.settings import Limits, PlatformSettings
from shared.workdays import WorkCalendar

STATE_LABELS = {"received": "已接收", "signed": "已签收", "returned": "已退单", "replied": "已回复",
                "closed": "已办结", "reworking": "重办中"}
URGENCIES = {"一般": "normal", "紧急": "urgent", "特急": "critical"}
REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "建议")
TICKET_FIELDS = ("revision", "request_type", "urgency", "citizen", "content", "address", "category", "area_code")


class UnknownArea(ValueError):
    """The platform sent a ticket to an area this service has no community for."""


def moment(text) -> datetime | None:
    """An ISO 8601 time with its offset, as platforms answer; None for anything else."""
    try:
        parsed = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def ticket_id(platform: str, ticket_no: str) -> str:
    return f"{platform}:{ticket_no}"


def call_id(ticket_id: str, action: str, cause: str) -> str:
    """The id of a call owed to the platform, derived from its cause (the same cause, one call)."""
    return f"{ticket_id}:{action}:{cause}"[:300]


def unsigned(ticket: Mapping) -> bool:
    """Received and not signed, and no sign owed for it: what a process that died between
    taking the ticket in and signing it leaves."""
    return (ticket["state"] == "received" and ticket.get("signed_at") is None
            and call_id(ticket["_id"], "sign", "received") not in (ticket.get("call_ids") or []))


def category_for(category: str, content: str, keywords: Mapping[str, list[str]]) -> str:
    """The case category: the first whose keyword the platform's category names, else the
    first the content names, else `other`."""
    for text in (category or "", content or ""):
        for code, words in keywords.items():
            if any(word in text for word in words):
                return code
    return "other"


def reply_due(received_at: datetime, request_type: str, urgency: str, given: datetime | None, limits: Limits,
              calendar: WorkCalendar) -> datetime:
    """When the reply is due: the ticket's own deadline when it has one, else the platform's
    limit for its urgency, else for its type, else the general one."""
    if given is not None:
        return given
    window = limits.reply_by_urgency.get(urgency) or limits.reply_by_type.get(request_type) or limits.reply
    return calendar.add(received_at, window)


def open_ticket(platform: PlatformSettings, areas: Mapping[str, str | None], record: Mapping,
                calendar: WorkCalendar, keywords: Mapping[str, list[str]], now: datetime) -> dict:
    """The document of a ticket first seen: its community (`areas`: the platform's area codes
    → node ids), case category and deadlines."""
    community_id = areas.get(record["area_code"])
    if record["area_code"] not in areas:
        raise UnknownArea(f"area_code {record['area_code']!r} is not configured for platform {platform.name}")
    if community_id is None:
        raise UnknownArea(f"area_code {record['area_code']!r} names no unit in rosters "
                          f"({platform.areas[record['area_code']]})")
    received_at = record["received_at"]
    return {
        "_id": ticket_id(platform.name, record["ticket_no"]), "platform": platform.name,
        "ticket_no": record["ticket_no"], **{key: record[key] for key in TICKET_FIELDS},
        "received_at": received_at, "platform_deadline": record.get("deadline"),
        "community_id": community_id, "lineage": [community_id],
        "case_category": category_for(record["category"], record["content"], keywords),
        "deadlines": {"sign": calendar.add(received_at, platform.limits.sign),
                      "reply": reply_due(received_at, record["request_type"], record["urgency"],
                                         record.get("deadline"), platform.limits, calendar)},
        "state": "received", "case_id": None, "signed_at": None, "replies": [], "surveys": [], "reworks": [],
        "updates_seen": [], "extension": None, "first_seen_at": now,
        "history": [{"at": now, "action": "received", "revision": record["revision"]}],
    }


def amended(ticket: Mapping, record: Mapping, now: datetime) -> dict | None:
    """The changes a newer revision of the ticket brings; None when it is not newer (an old or
    repeated record never overwrites what is known)."""
    if record["revision"] <= ticket["revision"]:
        return None
    changes = {key: record[key] for key in TICKET_FIELDS if record[key] != ticket.get(key)}
    changes["revision"] = record["revision"]
    if record.get("deadline") and record["deadline"] != ticket.get("platform_deadline"):
        changes["platform_deadline"] = record["deadline"]
        changes["deadlines"] = {**ticket["deadlines"], "reply": record["deadline"]}
    changes["_history"] = {"at": now, "action": "amended", "revision": record["revision"],
                           "fields": sorted(k for k in changes if k in TICKET_FIELDS and k != "revision")}
    return changes


def case_report(ticket: Mapping) -> dict:
    """The arguments of cases' `report` for the ticket: the case is the community's side of it,
    one however often asked (cases keys it by `external_ref`)."""
    content = ticket["content"]
    if ticket.get("address") and ticket["address"] not in content:
        content = f"{content}（地址：{ticket['address']}）"
    return {"channel": "hotline", "external_ref": ticket["_id"], "unit_id": ticket["community_id"],
            "category": ticket["case_category"], "urgency": URGENCIES.get(ticket["urgency"], "normal"),
            "reporter": {"name": ticket["citizen"]["name"], "phone": ticket["citizen"]["phone"]},
            "description": f"【12345 {ticket['ticket_no']} {ticket['request_type']}】{content}"[:2000]}


def seen(ticket: Mapping, update_id: str) -> bool:
    return update_id in (ticket.get("updates_seen") or [])


def survey_changes(ticket: Mapping, record: Mapping, now: datetime) -> dict:
    """A follow-up call's result: satisfied and resolved closes the ticket, anything else sends
    it back to work. The case hears the same verdict (`verdict_for`)."""
    satisfied = bool(record["satisfied"]) and bool(record.get("resolved", True))
    entry = {"update_id": record["update_id"], "at": record["at"], "satisfied": bool(record["satisfied"]),
             "resolved": bool(record.get("resolved", record["satisfied"])), "comment": record.get("comment")}
    return {"surveys": [*ticket.get("surveys", []), entry], "state": "closed" if satisfied else "reworking",
            "updates_seen": [*ticket.get("updates_seen", []), record["update_id"]],
            "_history": {"at": now, "action": "surveyed", "satisfied": entry["satisfied"],
                         "resolved": entry["resolved"]}}


def rework_changes(ticket: Mapping, record: Mapping, now: datetime) -> dict:
    entry = {"update_id": record["update_id"], "at": record["at"], "reason": record["reason"]}
    return {"reworks": [*ticket.get("reworks", []), entry], "state": "reworking",
            "updates_seen": [*ticket.get("updates_seen", []), record["update_id"]],
            "_history": {"at": now, "action": "rework", "reason": record["reason"]}}


def verdict_for(record: Mapping) -> dict:
    """What cases' `evaluate` hears from a survey or a rework order."""
    if record["kind"] == "rework":
        return {"satisfied": False, "reason": f"12345重办：{record['reason']}"[:1000],
                "on_behalf_of_reporter": "12345重办工单"}
    satisfied = bool(record["satisfied"]) and bool(record.get("resolved", True))
    verdict = {"satisfied": satisfied, "on_behalf_of_reporter": "12345热线回访"}
    if record.get("comment"):
        verdict["comment"] = str(record["comment"])[:1000]
    if not satisfied:
        verdict["reason"] = (f"12345回访不满意：{record.get('comment') or '未说明'}")[:1000]
    return verdict


def return_until(signed_at: datetime, limits: Limits, calendar: WorkCalendar) -> datetime:
    return calendar.add(signed_at, limits.return_)


def after_call(ticket: Mapping, action: str, call: Mapping, answer: Mapping, limits: Limits,
               calendar: WorkCalendar, now: datetime) -> dict:
    """The changes a call the platform took makes to the ticket."""
    entry = {"at": now, "action": action, "call_id": call["_id"]}
    if action == "sign":
        signed_at = call["at"]
        return {"state": "signed" if ticket["state"] == "received" else ticket["state"], "signed_at": signed_at,
                "signed_on_time": signed_at <= ticket["deadlines"]["sign"],
                "return_until": return_until(signed_at, limits, calendar), "_history": entry}
    if action == "reply":
        reply = {"at": call["at"], "call_id": call["_id"], "result": call.get("result"),
                 "on_time": call["at"] <= ticket["deadlines"]["reply"]}
        return {"state": "replied" if ticket["state"] in ("signed", "reworking", "received") else ticket["state"],
                "replies": [*ticket.get("replies", []), reply], "_history": entry}
    if action == "return":
        return {"state": "returned", "returned": {"at": call["at"], "reason": call.get("reason")}, "_history": entry}
    granted = bool(answer.get("granted"))
    extension = {"asked_at": call["at"], "working_days": call.get("working_days"), "granted": granted,
                 "deadline": answer.get("deadline"), "note": answer.get("reason")}
    changes: dict = {"extension": extension, "_history": {**entry, "granted": granted}}
    if granted and answer.get("deadline_at") is not None:
        changes["deadlines"] = {**ticket["deadlines"], "reply": answer["deadline_at"]}
    return changes

"""The reconciliation of a platform's tickets with this service's tickets and their cases: what
one side has and the other lacks, states that disagree, and what is overdue on either side.

The platform's states are the ticket states here (received, signed, returned, replied, closed,
reworking). A ticket and its case agree when the case is where the ticket says the work is:
replied or closed ⇒ the case resolved or closed; reworking or signed ⇒ the case still open
(or resolved with its reply on the way)."""

from collections.abc import Iterable, Mapping
from datetime import datetime

RESOLVED = ("resolved", "self_resolved", "closed")
PROBLEMS = {
    "missing_here": "平台有、本系统无",
    "missing_on_platform": "本系统有、平台无",
    "no_case": "未生成案件",
    "state_mismatch": "平台状态与本系统不一致",
    "replies_mismatch": "回复次数不一致",
    "case_mismatch": "工单与案件状态不一致",
    "overdue_sign": "签收超时",
    "overdue_reply": "回复超时",
}


def _row(problem: str, ticket_no: str, ticket: Mapping | None = None, listed: Mapping | None = None,
         case: Mapping | None = None, note: str = "") -> dict:
    return {"problem": problem, "problem_label": PROBLEMS[problem], "ticket_no": ticket_no,
            "ticket_id": ticket["_id"] if ticket else None, "case_id": (ticket or {}).get("case_id"),
            "platform_state": (listed or {}).get("state"), "ticket_state": (ticket or {}).get("state"),
            "case_state": (case or {}).get("state"), "note": note}


def _case_agrees(ticket: Mapping, case: Mapping) -> bool:
    state = case.get("state")
    if ticket["state"] in ("replied", "closed"):
        return state in RESOLVED
    if ticket["state"] == "returned":
        return True
    return state not in RESOLVED or ticket.get("reply_pending", False)


def reconcile(listed: Iterable[Mapping] | None, tickets: Iterable[Mapping], cases: Mapping[str, Mapping],
              now: datetime) -> dict:
    """`listed`: the platform's tickets (None when it cannot tell); `tickets`: ours of the
    period; `cases`: case by ticket id. Answers `{clean, counts: {problem: n}, rows}`."""
    ours = {t["ticket_no"]: t for t in tickets}
    rows: list[dict] = []
    if listed is not None:
        theirs = {t["ticket_no"]: t for t in listed}
        for no, entry in sorted(theirs.items()):
            ticket = ours.get(no)
            if ticket is None:
                rows.append(_row("missing_here", no, listed=entry))
                continue
            if entry.get("state") != ticket["state"]:
                rows.append(_row("state_mismatch", no, ticket, entry, cases.get(ticket["_id"])))
            if int(entry.get("replies") or 0) != len(ticket.get("replies") or []):
                rows.append(_row("replies_mismatch", no, ticket, entry, cases.get(ticket["_id"]),
                                 f"platform {entry.get('replies')}, here {len(ticket.get('replies') or [])}"))
        rows += [_row("missing_on_platform", no, t) for no, t in sorted(ours.items()) if no not in theirs]
    for no, ticket in sorted(ours.items()):
        case = cases.get(ticket["_id"])
        if not ticket.get("case_id") or case is None:
            rows.append(_row("no_case", no, ticket))
        elif not _case_agrees(ticket, case):
            rows.append(_row("case_mismatch", no, ticket, case=case))
        rows += _overdue(no, ticket, now)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["problem"]] = counts.get(row["problem"], 0) + 1
    return {"clean": not rows, "counts": counts, "rows": rows}


def _overdue(no: str, ticket: Mapping, now: datetime) -> list[dict]:
    rows = []
    deadlines = ticket["deadlines"]
    if ticket.get("signed_at") is None and now > deadlines["sign"] and ticket["state"] != "returned":
        rows.append(_row("overdue_sign", no, ticket, note=f"due {deadlines['sign'].isoformat()}"))
    open_work = ticket["state"] in ("received", "signed", "reworking")
    if open_work and now > deadlines["reply"]:
        rows.append(_row("overdue_reply", no, ticket, note=f"due {deadlines['reply'].isoformat()}"))
    return rows

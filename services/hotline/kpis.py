"""The hotline's appraisal of a community (响应率, 解决率, 满意率): counts per ticket, summed per
community and period, and rates as configured formulas over those sums (`Settings.kpis`, each
`{label, numerator: [count…], denominator: [count…]}`), so a city's own definitions are config."""

from collections.abc import Iterable, Mapping
from datetime import datetime

#: What one ticket counts for (each 0 or 1), as the formulas may name them.
COUNTS = ("received", "signed", "signed_on_time", "returned", "replied", "replied_on_time", "extended", "surveyed",
          "resolved", "satisfied", "reworked", "overdue_sign", "overdue_reply")


def counts_of(ticket: Mapping, now: datetime) -> dict[str, int]:
    replies = ticket.get("replies") or []
    surveys = ticket.get("surveys") or []
    last_survey = surveys[-1] if surveys else {}
    signed = ticket.get("signed_at") is not None
    returned = ticket["state"] == "returned"
    deadlines = ticket["deadlines"]
    return {
        "received": 1,
        "signed": int(signed),
        "signed_on_time": int(bool(ticket.get("signed_on_time"))),
        "returned": int(returned),
        "replied": int(bool(replies)),
        "replied_on_time": int(bool(replies) and bool(replies[0].get("on_time"))),
        "extended": int(bool((ticket.get("extension") or {}).get("granted"))),
        "surveyed": int(bool(surveys)),
        "resolved": int(bool(last_survey.get("resolved"))),
        "satisfied": int(bool(last_survey.get("satisfied"))),
        "reworked": int(bool(ticket.get("reworks"))),
        "overdue_sign": int((not signed and now > deadlines["sign"]) or (signed and not ticket.get("signed_on_time"))),
        "overdue_reply": int(not returned and ((not replies and now > deadlines["reply"])
                                               or (bool(replies) and not replies[0].get("on_time")))),
    }


def summed(tickets: Iterable[Mapping], now: datetime) -> dict[str, int]:
    total = dict.fromkeys(COUNTS, 0)
    for ticket in tickets:
        for key, value in counts_of(ticket, now).items():
            total[key] += value
    return total


def rates(totals: Mapping[str, int], formulas: Mapping[str, Mapping]) -> dict[str, dict]:
    """Each formula's rate (None when its denominator is 0), with its label and the sums used."""
    out = {}
    for name, formula in formulas.items():
        numerator = sum(totals.get(key, 0) for key in formula["numerator"])
        denominator = sum(totals.get(key, 0) for key in formula["denominator"])
        out[name] = {"label": formula.get("label", name), "numerator": numerator, "denominator": denominator,
                     "rate": round(numerator / denominator, 4) if denominator else None}
    return out


def by_community(tickets: Iterable[Mapping], formulas: Mapping[str, Mapping], now: datetime) -> dict:
    """`{total: {counts, rates}, communities: {community_id: {counts, rates}}}`."""
    groups: dict[str, list[Mapping]] = {}
    everything = []
    for ticket in tickets:
        groups.setdefault(ticket["community_id"], []).append(ticket)
        everything.append(ticket)
    total = summed(everything, now)
    communities = {}
    for community_id, theirs in sorted(groups.items()):
        counts = summed(theirs, now)
        communities[community_id] = {"counts": counts, "rates": rates(counts, formulas)}
    return {"total": {"counts": total, "rates": rates(total, formulas)}, "communities": communities}


def check_formulas(formulas: Mapping[str, Mapping]) -> None:
    """`ValueError` naming the formula whose counts are unknown (config is checked at start)."""
    for name, formula in formulas.items():
        for side in ("numerator", "denominator"):
            unknown = [key for key in formula.get(side) or [] if key not in COUNTS]
            if unknown or not formula.get(side):
                raise ValueError(f"KPIS.{name}.{side}: must name counts among {', '.join(COUNTS)}; got {unknown}")

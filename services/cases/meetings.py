"""Deliberation meetings (议事会) as pure functions: quorum over the eligible households
(officials attend without counting), majority, the record checked against the schedule, cost
sharing 谁受益谁出资 in integer fen, and what each linked case's timeline is told."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from fractions import Fraction

from shared.clock import to_iso
from shared.errors import field_error

QUORUM = Fraction(2, 3)  # households attending / eligible households must be at least this
MAJORITY = Fraction(1, 2)  # votes for / households attending must be more than this
#: The attendee role of someone attending for a household; every other role is an official
#: (party branch, owners' committee, property company, leader, community), who does not count.
HOUSEHOLD_ATTENDEE = "resident"


def has_quorum(attending: int, eligible: int) -> bool:
    return eligible > 0 and Fraction(attending, eligible) >= QUORUM


def passes(votes_for: int, attending: int) -> bool:
    return attending > 0 and Fraction(votes_for, attending) > MAJORITY


def decide_item(item: Mapping, attending: int, eligible: int) -> dict:
    """An agenda item's outcome: adopted only with quorum and a majority of the households attending."""
    quorum = has_quorum(attending, eligible)
    adopted = quorum and passes(item["votes_for"], attending)
    return {**item, "quorum": quorum, "adopted": adopted}


def households_attending(attendees: Sequence[Mapping]) -> list[str]:
    """The households represented, each once: attendees who came for a household (one who
    names no household stands for a household of their own)."""
    return list(dict.fromkeys(a.get("household") or f"#{n}" for n, a in enumerate(attendees)
                              if a["role"] == HOUSEHOLD_ATTENDEE))


def invited_households(meeting: Mapping) -> list[str]:
    return [i["household"] for i in meeting.get("invitees") or () if i["role"] == "household"]


def linked_cases(meeting: Mapping) -> list[str]:
    """The cases the agenda names, each once, in agenda order."""
    return list(dict.fromkeys(c for item in meeting["agenda"] for c in item.get("case_ids") or ()))


def record_of(meeting: Mapping, data: Mapping, now: datetime) -> dict:
    """The fields a meeting's record sets (state `held`), or `ValidationFailed` naming the field:
    not before its scheduled start nor in the future, households invited when invitees were
    named, eligible households known (given, or the households invited)."""
    held_at = data.get("held_at") or now
    if held_at < meeting["scheduled_at"]:
        raise field_error("held_at", f"before the scheduled start {to_iso(meeting['scheduled_at'])}")
    if held_at > now:
        raise field_error("held_at", "is in the future")
    invited = invited_households(meeting)
    for n, attendee in enumerate(data["attendees"]):
        if invited and attendee["role"] == HOUSEHOLD_ATTENDEE and attendee.get("household") not in invited:
            raise field_error(f"attendees.{n}.household", "is not one of the households invited")
    eligible = data.get("eligible") or len(invited)
    if not eligible:
        raise field_error("eligible", "required when no households were invited")
    attending = len(households_attending(data["attendees"]))
    if attending > eligible:
        raise field_error("attendees", f"{attending} households attend, more than the {eligible} eligible")
    items = _decided(meeting["agenda"], data["votes"], attending, eligible)
    record = {"state": "held", "eligible": eligible, "households_attending": attending,
              "attendees": [dict(a) for a in data["attendees"]], "quorum": has_quorum(attending, eligible),
              "agenda": items, "minutes": data["minutes"], "decision": data["decision"], "held_at": held_at,
              "posted": {}}
    if data.get("cost_split"):
        record["cost_split"] = _cost_split(items, data["cost_split"])
    return record


def _decided(agenda: Sequence[Mapping], votes: Sequence[Mapping], attending: int, eligible: int) -> list[dict]:
    by_item = {v["item"]: v for v in votes}
    if any(i >= len(agenda) for i in by_item):
        raise field_error("votes", "names an agenda item that does not exist")
    counts = ("votes_for", "votes_against", "abstain")
    return [decide_item({**item, **{k: by_item.get(i, {}).get(k, 0) for k in counts}}, attending, eligible)
            for i, item in enumerate(agenda)]


def _cost_split(items: Sequence[Mapping], split: Mapping) -> dict:
    if split["item"] >= len(items):
        raise field_error("cost_split.item", "names an agenda item that does not exist")
    if not items[split["item"]]["adopted"]:
        raise field_error("cost_split.item", "the item was not adopted, so nobody pays")
    return {"item": split["item"], "total_fen": split["total_fen"],
            "shares": split_cost(split["total_fen"], split["households"])}


def split_cost(total_fen: int, households: Sequence[str]) -> list[dict]:
    """Equal shares in whole fen; the remainder goes one fen each to the first households
    in the order given, so the shares always add up to the total."""
    if not households:
        raise ValueError("no households to share the cost")
    base, remainder = divmod(total_fen, len(households))
    return [{"household": h, "share_fen": base + (1 if i < remainder else 0), "paid": False}
            for i, h in enumerate(households)]


def payment_summary(shares: Sequence[Mapping]) -> dict:
    """Households paid and unpaid, and the amounts: total, paid, outstanding (fen)."""
    paid = [s for s in shares if s["paid"]]
    return {"households": len(shares), "paid": len(paid), "unpaid": len(shares) - len(paid),
            "total_fen": sum(s["share_fen"] for s in shares), "paid_fen": sum(s["share_fen"] for s in paid),
            "outstanding_fen": sum(s["share_fen"] for s in shares if not s["paid"]),
            "keys_handed_over": sum(1 for s in paid if s.get("keys_handed_over"))}


def outcome_for_cases(meeting: Mapping) -> dict:
    """What a linked case's timeline is told of the meeting's record."""
    split = meeting.get("cost_split")
    return {"meeting_id": meeting["_id"], "title": meeting["title"], "held_at": meeting["held_at"],
            "eligible": meeting.get("eligible"), "households_attending": meeting.get("households_attending"),
            "quorum": meeting["quorum"], "decision": meeting["decision"],
            "items": [{k: item.get(k) for k in ("title", "votes_for", "votes_against", "abstain", "adopted")}
                      for item in meeting["agenda"]],
            "cost_split": None if not split else {"item": split["item"], "total_fen": split["total_fen"],
                                                  "payments": payment_summary(split["shares"])}}


def payment_for_cases(meeting: Mapping, share: int) -> dict:
    """What a linked case's timeline is told of one household's payment."""
    shares = meeting["cost_split"]["shares"]
    paid = shares[share]
    return {"meeting_id": meeting["_id"], "title": meeting["title"], "share": share, "household": paid["household"],
            "share_fen": paid["share_fen"], "keys_handed_over": paid.get("keys_handed_over"),
            "paid_at": paid.get("paid_at"), "payments": payment_summary(shares)}

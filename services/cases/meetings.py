"""Deliberation meetings (议事会) as pure functions: quorum, majority, and cost sharing
谁受益谁出资 in integer fen."""

from collections.abc import Mapping, Sequence
from fractions import Fraction

QUORUM = Fraction(2, 3)  # attendees / eligible must be at least this
MAJORITY = Fraction(1, 2)  # votes for / attendees must be more than this


def has_quorum(attending: int, eligible: int) -> bool:
    return eligible > 0 and Fraction(attending, eligible) >= QUORUM


def passes(votes_for: int, attending: int) -> bool:
    return attending > 0 and Fraction(votes_for, attending) > MAJORITY


def decide_item(item: Mapping, attending: int, eligible: int) -> dict:
    """An agenda item's outcome: adopted only with quorum and a majority of attendees."""
    quorum = has_quorum(attending, eligible)
    adopted = quorum and passes(item["votes_for"], attending)
    return {**item, "quorum": quorum, "adopted": adopted}


def split_cost(total_fen: int, households: Sequence[str]) -> list[dict]:
    """Equal shares in whole fen; the remainder goes one fen each to the first households
    in the order given, so the shares always add up to the total."""
    if not households:
        raise ValueError("no households to share the cost")
    base, remainder = divmod(total_fen, len(households))
    return [{"household": h, "share_fen": base + (1 if i < remainder else 0), "paid": False}
            for i, h in enumerate(households)]


def payment_summary(shares: Sequence[Mapping]) -> dict:
    paid = [s for s in shares if s["paid"]]
    return {"households": len(shares), "paid": len(paid), "paid_fen": sum(s["share_fen"] for s in paid),
            "outstanding_fen": sum(s["share_fen"] for s in shares if not s["paid"])}

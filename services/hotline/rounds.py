"""One round of owed calls: the calls of different tickets side by side, one ticket's in order,
and a round cut short for a target that stops answering."""

from collections.abc import Callable, Iterable, Mapping

Map = Callable[[Callable, Iterable], Iterable]  # map, or a green pool's `imap`


def run_round(calls: Iterable[Mapping], make: Callable[[Mapping], str], stop: Callable[[Mapping, str], bool],
              side_by_side: Map = map) -> dict[str, int]:
    """`make(call)` for each call (oldest first within a ticket), counting its outcomes; once
    `stop(call, outcome)` says so, the calls not yet made wait for the next round."""
    by_ticket: dict[str, list[Mapping]] = {}
    for call in calls:
        by_ticket.setdefault(call["ticket_id"], []).append(call)
    stopped: list[Mapping] = []

    def in_order(theirs: list[Mapping]) -> list[str]:
        outcomes = []
        for call in theirs:
            if any(not_now(call, s) for s in stopped):
                break
            outcome = make(call)
            outcomes.append(outcome)
            if stop(call, outcome):
                stopped.append(call)
                break
        return outcomes

    counts: dict[str, int] = {}
    for outcomes in side_by_side(in_order, list(by_ticket.values())):
        for outcome in outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def not_now(call: Mapping, stopped: Mapping) -> bool:
    """A call waits when a call to the same target stopped the round (the same platform; any
    call to cases)."""
    return call.get("platform") == stopped.get("platform")

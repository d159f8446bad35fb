"""Statistics as counters: what each step adds, where it is added, and the rates read back.

Counters are kept per node of the tree (from the district down to the building) and per
day and month the case was *received*, so a period's figures describe the cases received in
it and what has become of them. A counter document `<node>:<YYYY-MM-DD|YYYY-MM>` holds
`c.<category>.<metric>`: small, whatever the number of cases. A unit or household has no
counters (too fine, and few cases): its figures are `tally` of the cases received there.
"""

from collections.abc import Iterable, Mapping
from datetime import date

#: Counted once per case, the first time the case reaches them.
MILESTONES = (
    "received", "self_resolved", "escalated", "dispatched", "responded", "responded_on_time",
    "resolved", "resolved_on_time", "evaluated", "reopened", "closed", "overdue",
)
#: Counted once per evaluation.
PER_EVALUATION = ("evaluations", "satisfied")
METRICS = MILESTONES + PER_EVALUATION
#: Levels without counters; their figures are tallied from their cases.
TALLIED_LEVELS = frozenset({"unit", "household"})


def reached(case: Mapping) -> set[str]:
    """The milestones a case document shows it has reached."""
    flags = {"received"}
    checks = {
        "self_resolved": case.get("self_resolved"), "escalated": case.get("escalated_at"),
        "dispatched": case.get("dispatched_at"), "responded": case.get("accepted_at"),
        "responded_on_time": case.get("accepted_at") and case.get("responded_on_time"),
        "resolved": case.get("resolved_at"),
        "resolved_on_time": case.get("resolved_at") and (case.get("self_resolved") or case.get("resolved_on_time")),
        "evaluated": case.get("evaluations"), "reopened": case.get("reopen_count"),
        "closed": case.get("state") == "closed", "overdue": case.get("overdue"),
    }
    flags.update(name for name, value in checks.items() if value)
    return flags


def evaluation_counts(case: Mapping) -> dict[str, int]:
    evaluations = case.get("evaluations") or []
    return {"evaluations": len(evaluations), "satisfied": sum(1 for e in evaluations if e["satisfied"])}


def deltas(before: Mapping | None, after: Mapping) -> dict[str, dict[str, int]]:
    """Category → metric → change caused by going from `before` to `after` (a new case when
    `before` is None). A reclassified case moves its earlier counts to the new category."""
    counted_before = set((before or {}).get("counted", []))
    new = reached(after) - counted_before
    old_evals = evaluation_counts(before or {})
    new_evals = evaluation_counts(after)
    out: dict[str, dict[str, int]] = {}

    def add(category: str, metric: str, amount: int) -> None:
        if amount:
            bucket = out.setdefault(category, {})
            bucket[metric] = bucket.get(metric, 0) + amount

    moved = before is not None and before["category"] != after["category"]
    for metric in counted_before if moved else ():
        add(before["category"], metric, -1)
        add(after["category"], metric, 1)
    for metric in PER_EVALUATION:
        if moved:
            add(before["category"], metric, -old_evals[metric])
            add(after["category"], metric, old_evals[metric])
        add(after["category"], metric, new_evals[metric] - old_evals[metric])
    for metric in new:
        add(after["category"], metric, 1)
    return out


def case_metrics(case: Mapping) -> dict[str, int]:
    """What one case adds to the figures of the nodes it is counted under: metric → amount."""
    return dict.fromkeys(reached(case), 1) | evaluation_counts(case)


def tally(cases: Iterable[Mapping]) -> dict[str, dict[str, int]]:
    """Category → metric totals of these cases, as the counters of a node would hold them."""
    return add_up({case["category"]: case_metrics(case)} for case in cases)


def expected_counters(cases: Iterable[Mapping]) -> dict[str, dict[str, int]]:
    """What the counter documents must hold for these cases: counter id → `category.metric` →
    count, zeros left out. For reconciling the statistics with the cases they count."""
    expected: dict[str, dict[str, int]] = {}
    for case in cases:
        metrics = case_metrics(case)
        for node in case["scope"]:
            for period in periods(date.fromisoformat(case["received_day"])):
                bucket = expected.setdefault(f"{node}:{period}", {})
                for metric, amount in metrics.items():
                    if amount:
                        key = f"{case['category']}.{metric}"
                        bucket[key] = bucket.get(key, 0) + amount
    return expected


def stored_counters(documents: Iterable[Mapping]) -> dict[str, dict[str, int]]:
    """Counter documents as counter id → `category.metric` → count, zeros left out."""
    return {doc["_id"]: {f"{category}.{metric}": n for category, metrics in (doc.get("c") or {}).items()
                         for metric, n in metrics.items() if n}
            for doc in documents}


def counters_differing(expected: Mapping[str, Mapping], stored: Mapping[str, Mapping]) -> dict[str, tuple]:
    """Counter id → (expected, stored) wherever the two differ."""
    return {counter: (expected.get(counter), stored.get(counter)) for counter in set(expected) | set(stored)
            if (expected.get(counter) or {}) != (stored.get(counter) or {})}


def counted_after(before: Mapping | None, after: Mapping) -> list[str]:
    return sorted(set((before or {}).get("counted", [])) | reached(after))


def periods(received_day: date) -> list[str]:
    """The day and the month a case received that day is counted under."""
    return [received_day.isoformat(), received_day.isoformat()[:7]]


def expand(counts: Mapping) -> dict[str, dict[str, int]]:
    """A step's counts `{nodes, periods, inc}` as counter document id → `$inc` paths."""
    if not counts:
        return {}
    paths = {f"c.{category}.{metric}": amount for category, metrics in counts["inc"].items()
             for metric, amount in metrics.items()}
    return {f"{node}:{period}": paths for node in counts["nodes"] for period in counts["periods"]}


def add_up(node_counts: Iterable[Mapping[str, Mapping[str, int]]]) -> dict[str, dict[str, int]]:
    """Category → metric totals over several counter documents' parts for one node."""
    totals: dict[str, dict[str, int]] = {}
    for part in node_counts:
        for category, metrics in part.items():
            bucket = totals.setdefault(category, dict.fromkeys(METRICS, 0))
            for metric, amount in metrics.items():
                bucket[metric] = bucket.get(metric, 0) + amount
    return totals


def rates(totals: Mapping[str, int]) -> dict[str, float | None]:
    """The yardsticks: response, on-time, resolution, satisfaction and reopen rates."""

    def ratio(numerator: str, denominator: str) -> float | None:
        return round(totals[numerator] / totals[denominator], 4) if totals.get(denominator) else None

    return {
        "self_resolved_rate": ratio("self_resolved", "received"),
        "response_rate": ratio("responded_on_time", "dispatched"),
        "on_time_rate": ratio("resolved_on_time", "resolved"),
        "resolution_rate": ratio("resolved", "received"),
        "satisfaction_rate": ratio("satisfied", "evaluations"),
        "reopen_rate": ratio("reopened", "evaluated"),
    }


def summary(per_category: Mapping[str, Mapping[str, int]]) -> dict:
    overall = dict.fromkeys(METRICS, 0)
    for metrics in per_category.values():
        for metric, amount in metrics.items():
            overall[metric] = overall.get(metric, 0) + amount
    return {
        "totals": overall, "rates": rates(overall),
        "by_category": {c: {"totals": dict(m), "rates": rates(m)} for c, m in sorted(per_category.items())},
    }

"""Cases as one actor sees them: views with the reporter's number masked unless the role
needs it (each unmasked read audited), search, and statistics from counters."""

from collections.abc import Mapping
from datetime import date, timedelta

from services.cases import counting
from services.cases.repository import CasesStore
from services.cases.roster import Roster
from shared.actor import ROOT_ROLES, Actor
from shared.clock import plain
from shared.privacy import mask_phone, sees_numbers

INTERNAL = ("_id", "counted", "opening")  # bookkeeping, not part of a case as callers see it
SUMMARY_FIELDS = ("state", "category", "category_label", "urgency", "channel", "unit_id", "unit_path",
                  "community_id", "reported_at", "deadlines", "overdue", "external_ref", "version")


class CaseReader:
    """Cases as one actor may see them; every read of unmasked numbers is audited."""

    def __init__(self, store: CasesStore, actor: Actor, unmask_roles: list[str]):
        self.store = store
        self.actor = actor
        self.unmasked = sees_numbers(actor.role, unmask_roles)

    def view(self, case: Mapping, rpc: str) -> dict:
        """The whole case with its timeline."""
        out = {k: v for k, v in case.items() if k not in INTERNAL}
        out["case_id"] = case["_id"]
        out["reporter"] = self._reporter(case)
        self.audit(rpc, [case["_id"]])
        return plain(out)

    def summary(self, case: Mapping) -> dict:
        out = {"case_id": case["_id"], **{k: case.get(k) for k in SUMMARY_FIELDS}, "reporter": self._reporter(case)}
        return plain(out)

    def get(self, case_id: str) -> dict:
        case = self.store.cases.get(case_id)
        self.actor.require(case["lineage"])
        return self.view(case, "get_case")

    def search(self, data: Mapping) -> dict:
        query: dict = {}
        if self.actor.role not in ROOT_ROLES:
            query["lineage"] = self.actor.jurisdiction[-1] if self.actor.jurisdiction else "-"
        if data.get("node_id"):
            query = {"$and": [query, {"lineage": data["node_id"]}]} if query else {"lineage": data["node_id"]}
        if data.get("state"):
            query["state"] = {"$in": list(data["state"])}
        if data.get("category"):
            query["category"] = data["category"]
        if data.get("overdue") is not None:
            query["overdue.0"] = {"$exists": bool(data["overdue"])}
        period = {}
        if data.get("date_from"):
            period["$gte"] = data["date_from"].isoformat()
        if data.get("date_to"):
            period["$lte"] = data["date_to"].isoformat()
        if period:
            query["received_day"] = period
        total, cases = self.store.cases.search(query, data["offset"], data["limit"])
        self.audit("search", [c["_id"] for c in cases])
        return {"total": total, "offset": data["offset"], "limit": data["limit"],
                "items": [self.summary(c) for c in cases]}

    def stats(self, roster: Roster, node_id: str, first: date, last: date) -> dict:
        """Figures for the cases received under a node from `first` to `last` (local days)."""
        node = roster.node(node_id, "node_id")
        self.actor.require([*node["ancestors"], node["unit_id"]])
        self.store.journal.settle()
        parts = self.store.counters.parts(f"{node_id}:{bucket}" for bucket in period_buckets(first, last))
        figures = counting.summary(counting.add_up(parts))
        return {"node_id": node_id, "date_from": first.isoformat(), "date_to": last.isoformat(), **figures}

    def _reporter(self, case: Mapping) -> dict:
        reporter = dict(case.get("reporter") or {})
        if not self.unmasked:
            reporter["phone"] = mask_phone(reporter.get("phone"))
        return reporter

    def audit(self, rpc: str, case_ids: list[str]) -> None:
        if self.unmasked:
            self.store.pii_reads.record(self.actor.as_dict(), rpc, case_ids)


def meeting_view(meeting: Mapping) -> dict:
    """The meeting as callers see it, without the request ids kept to recognise repeats."""
    view = {"meeting_id": meeting["_id"], **{k: v for k, v in meeting.items() if k not in ("_id", "recorded_request")}}
    if view.get("cost_split"):
        view["cost_split"] = {**view["cost_split"], "shares": [
            {k: v for k, v in share.items() if k != "paid_request"} for share in view["cost_split"]["shares"]]}
    return plain(view)


def period_buckets(first: date, last: date) -> list[str]:
    """Counter suffixes covering the days from `first` to `last`: whole months as `YYYY-MM`,
    the days of partial months as `YYYY-MM-DD`."""
    buckets, day = [], first
    while day <= last:
        month_start = day.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        if day == month_start and next_month - timedelta(days=1) <= last:
            buckets.append(day.isoformat()[:7])
            day = next_month
        else:
            buckets.append(day.isoformat())
            day += timedelta(days=1)
    return buckets

"""Cases as one actor sees them: views with the reporter's number masked unless the role
needs it (each unmasked read audited), search, and statistics from counters."""

from collections.abc import Iterator, Mapping
from datetime import date

from services.cases import counting, meetings
from services.cases.periods import period_buckets
from services.cases.repository import CasesStore
from services.cases.rights import OWN_REPORT, RIGHTS, check_condition
from services.cases.roster import Roster
from shared.actor import ROOT_ROLES, Actor
from shared.clock import plain
from shared.privacy import mask_phone, sees_numbers
from shared.rights import ANY

TALLY_PAGE = 500  # cases read at a time to tally a unit's figures
INTERNAL = ("_id", "counted", "opening")  # bookkeeping, not part of a case as callers see it
SUMMARY_FIELDS = ("state", "category", "category_label", "urgency", "channel", "unit_id", "unit_path", "description",
                  "community_id", "reported_at", "updated_at", "deadlines", "overdue", "external_ref", "assignee",
                  "result", "version")


class CaseReader:
    """Cases as one actor may see them; every read of unmasked numbers is audited."""

    def __init__(self, store: CasesStore, actor: Actor, unmask_roles: list[str]):
        self.store = store
        self.actor = actor
        self.unmasked = sees_numbers(actor.role, unmask_roles, actor.who)

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
        check_condition(RIGHTS.rule("get_case", self.actor.role) or ANY, self.actor, case, {})
        return self.view(case, "get_case")

    def search(self, data: Mapping) -> dict:
        query: dict = {}
        if self.actor.role not in ROOT_ROLES:
            query["lineage"] = self.actor.jurisdiction[-1] if self.actor.jurisdiction else "-"
        if RIGHTS.rule("search", self.actor.role) == OWN_REPORT:
            query.update({"reported_by.who": self.actor.who, "reported_by.role": self.actor.role})
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
        """Figures for the cases received under any node from `first` to `last` (local days):
        from the counters down to a building, tallied from the cases themselves at a unit or
        household (`counting.TALLIED_LEVELS`)."""
        node = roster.node(node_id, "node_id")
        self.actor.require([*node["ancestors"], node["unit_id"]])
        if node.get("level") in counting.TALLIED_LEVELS:
            per_category = counting.tally(self._received_under(node["unit_id"], first, last))
        else:
            self.store.journal.settle()
            buckets = period_buckets(first, last)
            per_category = counting.add_up(self.store.counters.parts(f"{node['unit_id']}:{b}" for b in buckets))
        return {"node_id": node["unit_id"], "level": node.get("level"), "date_from": first.isoformat(),
                "date_to": last.isoformat(), **counting.summary(per_category)}

    def _received_under(self, node_id: str, first: date, last: date) -> Iterator[Mapping]:
        """The cases received at or under a node from `first` to `last`, a page at a time."""
        query = {"lineage": node_id, "received_day": {"$gte": first.isoformat(), "$lte": last.isoformat()}}
        offset = 0
        while True:
            total, page = self.store.cases.search(query, offset, TALLY_PAGE)
            yield from page
            offset += len(page)
            if not page or offset >= total:
                return

    def _reporter(self, case: Mapping) -> dict:
        reporter = dict(case.get("reporter") or {})
        if not self.unmasked:
            reporter["phone"] = mask_phone(reporter.get("phone"))
        return reporter

    def audit(self, rpc: str, case_ids: list[str]) -> None:
        if self.unmasked:
            self.store.pii_reads.record(self.actor.as_dict(), rpc, case_ids)


def meeting_view(meeting: Mapping) -> dict:
    """The meeting as callers see it: without the request ids kept to recognise repeats, with
    the payments summed up (paid, unpaid, amounts) and the linked cases its record reached
    (`posted_to`), skipped as ended (`not_posted`: case → state) or has yet to reach (`posting_pending`)."""
    hidden = ("_id", "recorded_request", "posted")
    view = {"meeting_id": meeting["_id"], **{k: v for k, v in meeting.items() if k not in hidden}}
    view["linked_cases"] = meetings.linked_cases(meeting)
    if meeting.get("state") == "held":
        posted = meeting.get("posted") or {}
        view["posted_to"] = [c for c in view["linked_cases"] if c in posted and not posted[c].get("skipped")]
        view["not_posted"] = {c: mark["skipped"] for c, mark in posted.items() if mark.get("skipped")}
        view["posting_pending"] = [c for c in view["linked_cases"] if c not in posted]
    if view.get("cost_split"):
        shares = view["cost_split"]["shares"]
        view["cost_split"] = {**view["cost_split"], "shares": [
            {k: v for k, v in share.items() if k not in ("paid_request", "posted")} for share in shares]}
        view["payments"] = meetings.payment_summary(shares)
    return plain(view)

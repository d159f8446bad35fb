"""Records from a platform become tickets, one record at a time: a record that cannot be used is
parked with the reason and the others flow on; a ticket seen again changes only with a newer
revision; a survey or rework order is applied once. Each new ticket owes cases its case, each
verdict the case's evaluation (`casework`)."""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.hotline import tickets
from services.hotline.exceptions import ChangedMeanwhile
from services.hotline.platform import Page, Platform, PlatformDown, PlatformRefused
from services.hotline.repository import HotlineStore, tries
from services.hotline.rounds import Map
from services.hotline.schemas import read_record
from services.hotline.settings import PlatformSettings, Settings
from shared.clock import to_iso
from shared.errors import ValidationFailed
from shared.events import envelope
from shared.ids import derived_id

log = logging.getLogger(__name__)


@dataclass
class Tally:
    received: int = 0
    amended: int = 0
    stale: int = 0
    applied: int = 0  # surveys and rework orders
    repeats: int = 0
    parked: int = 0
    records: int = 0
    parked_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "parked_ids"} | {"parked_ids": self.parked_ids[:20]}


def ticket_event(event_type: str, ticket: Mapping, actor: Mapping, detail: Mapping | None = None) -> dict:
    return envelope(event_type, {"ticket_id": ticket["_id"], "platform": ticket["platform"],
                                 "ticket_no": ticket["ticket_no"], "case_id": ticket.get("case_id"),
                                 "state": ticket["state"], "community_id": ticket.get("community_id"),
                                 "detail": dict(detail or {})}, dict(actor))


OpenCase = Callable[[Mapping], str]  # open_case(ticket): its case opened now, or owed


class Intake:
    """One platform's records into tickets, as `actor` (the service acting as itself). A new
    ticket's case is opened by `open_case` (`casework.opener`: at once, owed when it cannot
    be); without it, owed to the case calls' queue."""

    def __init__(self, store: HotlineStore, platform: PlatformSettings, areas: Mapping[str, str | None],
                 settings: Settings, actor: Mapping, clock: Callable[[], datetime], open_case: OpenCase | None = None):
        self.store, self.platform, self.areas, self.settings = store, platform, areas, settings
        self.actor, self.clock = dict(actor), clock
        self.open_case = open_case or (lambda ticket: self._owe_case(ticket["_id"]))

    def take(self, records: list, tally: Tally | None = None, side_by_side: Map = map) -> Tally:
        """Each record in; different tickets' side by side (`side_by_side`: a green pool's
        `imap`), one ticket's in the page's order. Updates that came before their ticket are
        applied once it is here."""
        tally = tally or Tally()
        groups: dict[object, list] = {}
        for n, raw in enumerate(records):
            key = raw.get("ticket_no") if isinstance(raw, dict) and isinstance(raw.get("ticket_no"), str) else n
            groups.setdefault(key, []).append(raw)
        received = []
        for group, outcomes in zip(groups, side_by_side(lambda rs: [self.one(r) for r in rs], list(groups.values())),
                                   strict=True):
            for outcome in outcomes:
                tally.records += 1
                if outcome.startswith("parked:"):
                    tally.parked += 1
                    tally.parked_ids.append(outcome.split(":", 1)[1])
                else:
                    setattr(tally, outcome, getattr(tally, outcome) + 1)
                if outcome == "received":
                    received.append(group)
        self._replay_waiting(received)
        return tally

    def one(self, raw) -> str:
        """`received`, `amended`, `stale`, `applied`, `repeats` or `parked:<id>`."""
        try:
            record = read_record(raw)
        except ValidationFailed as error:
            return self.park(raw, error.details, waiting=False)
        if record["kind"] == "ticket":
            return self._ticket(raw, record)
        return self._update(raw, record)

    def _ticket(self, raw, record: dict) -> str:
        ticket_id = tickets.ticket_id(self.platform.name, record["ticket_no"])
        for _ in tries():
            known = self.store.tickets.find(ticket_id)
            if known is None:
                try:
                    doc = tickets.open_ticket(self.platform, self.areas, record, self.settings.calendar,
                                              self.settings.category_keywords, self.clock())
                except tickets.UnknownArea as error:
                    return self.park(raw, [{"field": "area_code", "reason": str(error)}], waiting=False)
                try:
                    created = self.store.tickets.create(doc, [ticket_event("ticket_received", doc, self.actor,
                                                                           {"revision": doc["revision"]})])
                except ChangedMeanwhile:
                    continue
                self.open_case(created)
                return "received"
            if not known.get("case_id") or tickets.unsigned(known) or self._sign_lost(known):
                self._owe_case(ticket_id)  # again: a process may have died between the ticket and its case or sign
            changes = tickets.amended(known, record, self.clock())
            if changes is None:
                return "stale"
            try:
                self.store.tickets.change(known, changes)
                return "amended"
            except ChangedMeanwhile:
                continue
        raise ChangedMeanwhile(f"ticket {ticket_id} kept changing", [{"field": "ticket_id", "reason": "busy"}])

    def _sign_lost(self, ticket: Mapping) -> bool:
        """Received, not signed, its sign listed as owed but not in the queue: the trace of a
        process that died between listing the call on the ticket and queuing it."""
        if ticket["state"] != "received" or ticket.get("signed_at") is not None:
            return False
        sign = tickets.call_id(ticket["_id"], "sign", "received")
        return sign in (ticket.get("call_ids") or []) and self.store.calls.find(sign) is None

    def _update(self, raw, record: dict) -> str:
        ticket_id = tickets.ticket_id(self.platform.name, record["ticket_no"])
        for _ in tries():
            known = self.store.tickets.find(ticket_id)
            if known is None:
                return self.park(raw, [{"field": "ticket_no", "reason": "no such ticket here yet; "
                                                                        "applied when the ticket arrives"}],
                                 waiting=True, ticket_no=record["ticket_no"])
            if tickets.seen(known, record["update_id"]):
                self._owe_verdict(ticket_id, record)  # again: a process may have died before it was owed
                return "repeats"
            now = self.clock()
            changes = (tickets.survey_changes(known, record, now) if record["kind"] == "survey"
                       else tickets.rework_changes(known, record, now))
            try:
                self.store.tickets.change(known, changes)
            except ChangedMeanwhile:
                continue
            self._owe_verdict(ticket_id, record)
            return "applied"
        raise ChangedMeanwhile(f"ticket {ticket_id} kept changing", [{"field": "ticket_id", "reason": "busy"}])

    def _owe_case(self, ticket_id: str) -> str:
        """The ticket's case, owed to cases once however often this is said."""
        owe_case(self.store, ticket_id, self.clock())
        return "owed"

    def _owe_verdict(self, ticket_id: str, record: Mapping) -> None:
        """A survey's or rework order's verdict, owed to the case once however often this is said."""
        self.store.case_calls.owe({"_id": f"{ticket_id}:evaluate:{record['update_id']}"[:300], "ticket_id": ticket_id,
                                   "action": "evaluate", "args": tickets.verdict_for(record)}, self.clock())

    def park(self, raw, details: list[dict], waiting: bool, ticket_no: str | None = None) -> str:
        text = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
        parked_id = derived_id("rec", self.platform.name, text)
        reason = "; ".join(f"{d.get('field')}: {d.get('reason')}" for d in details)[:1000]
        doc = {"_id": parked_id, "kind": "record", "platform": self.platform.name, "record": text[:100_000],
               "ticket_no": ticket_no or (raw.get("ticket_no") if isinstance(raw, dict) else None),
               "reason": reason, "details": details[:20], "waiting": waiting, "state": "parked",
               "parked_at": self.clock()}
        event = envelope("ticket_parked", {"platform": self.platform.name, "parked_id": parked_id, "kind": "record",
                                           "ticket_no": doc["ticket_no"] if isinstance(doc["ticket_no"], str) else None,
                                           "reason": reason}, self.actor)
        if self.store.records.park(doc, [event]):
            log.warning("hotline: %s record parked as %s: %s", self.platform.name, parked_id, reason)
        return f"parked:{parked_id}"

    def _replay_waiting(self, ticket_nos: list[str]) -> None:
        """Updates that came before their ticket are applied now that it is here (one look for a
        page's new tickets)."""
        if not ticket_nos:
            return
        for parked in self.store.records.waiting_for(self.platform.name, ticket_nos):
            self.replay(parked)

    def replay(self, parked: Mapping) -> str:
        outcome = self.one(json.loads(parked["record"]))
        if not outcome.startswith("parked:") or outcome.split(":", 1)[1] != parked["_id"]:
            self.store.records.settle(parked["_id"], {"state": "replayed", "replayed_at": self.clock(),
                                                      "outcome": outcome})
        return outcome


def owe_case(store: HotlineStore, ticket_id: str, now: datetime) -> None:
    """The ticket's case, owed to cases (queued) once however often this is said."""
    store.case_calls.owe({"_id": f"{ticket_id}:report", "ticket_id": ticket_id, "action": "report"}, now)


def pull(store: HotlineStore, adapter: Platform, platform: PlatformSettings, areas: Mapping[str, str | None],
         settings: Settings, actor: Mapping, holder: str, clock: Callable[[], datetime], max_pages: int = 20,
         side_by_side: Map = map, open_case: OpenCase | None = None) -> dict:
    """Fetch what changed since the platform's cursor and take it in, page by page, while this
    instance holds the platform's pull; the cursor moves only after a page's records are kept.
    A platform that does not answer is tried again after a growing pause."""
    now = clock()
    state = store.platforms.take(platform.name, holder, now, settings.lease)
    if state is None:
        return {"platform": platform.name, "pulled": False, "reason": "another instance is pulling"}
    if state.get("down_until") and state["down_until"] > now:
        store.platforms.let_go(platform.name, holder)
        return {"platform": platform.name, "pulled": False, "reason": "platform down; next try at "
                                                                       f"{to_iso(state['down_until'])}"}
    intake, tally = Intake(store, platform, areas, settings, actor, clock, open_case), Tally()
    cursor, pages, failing = state.get("cursor"), 0, bool(state.get("pull_failures"))
    try:
        while pages < max_pages:
            page = _fetch(store, adapter, platform, settings, cursor, clock, failing)
            failing = page is None
            if page is None:
                break
            try:
                intake.take(page.records, tally, side_by_side)
            except ChangedMeanwhile as busy:  # the page is taken in again at the next pull, from the same cursor
                log.warning("hotline: %s page left for the next pull: %s", platform.name, busy)
                break
            cursor, pages = page.cursor, pages + 1
            if not store.platforms.advance(platform.name, holder, {"cursor": cursor, "last_pull_at": clock(),
                                                                   "lease_until": clock() + settings.lease}):
                break
            if not page.more:
                break
    finally:
        store.platforms.let_go(platform.name, holder)
    return {"platform": platform.name, "pulled": True, "pages": pages, "cursor": cursor, **tally.as_dict()}


def _fetch(store: HotlineStore, adapter: Platform, platform: PlatformSettings, settings: Settings,
           cursor: str | None, clock: Callable[[], datetime], failing: bool) -> Page | None:
    try:
        page = adapter.fetch(cursor, platform.page_size)
    except (PlatformDown, PlatformRefused) as error:
        state = store.platforms.state(platform.name)
        failures = int(state.get("pull_failures") or 0) + 1
        wait = settings.retry.wait(failures)
        if failures == 1 or failures % 10 == 0:
            log.warning("hotline: %s fetch failed (%d in a row): %s", platform.name, failures, error)
        store.platforms.mark(platform.name, {"down_until": clock() + wait, "last_error": str(error)[:500],
                                             "last_error_at": clock(), "pull_failures": failures})
        return None
    if failing:  # back after failures: its pause is over
        store.platforms.mark(platform.name, {"down_until": None, "pull_failures": 0})
    return page

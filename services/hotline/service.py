"""The hotline nameko service: 12345 tickets from each configured platform become cases, and what
the community does with them goes back to the platform once. Thin entrypoints over `syncing`
(records in), `casework` (calls owed to cases) and `outbound` (calls owed to the platform)."""

import base64
import binascii
import logging
import os
import socket
from datetime import datetime, time, timedelta

from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy

from services.hotline import (
    casework,
    kpis,
    manual_sheet,
    outbound,
    reconciling,
    report_sheet,
    schemas,
    syncing,
    tickets,
)
from services.hotline.areas import Areas, AreasUnavailable
from services.hotline.dependencies import AreasProvider, CallPool, PlatformsProvider, SettingsProvider
from services.hotline.exceptions import (
    CallNotFound,
    NotReplayable,
    OtherServiceUnavailable,
    ReturnTooLate,
    UnknownPlatform,
)
from services.hotline.platform import ManualEntry, Platform, PlatformDown, PlatformRefused
from services.hotline.repository import JOURNAL, HotlineStore
from services.hotline.rights import RIGHTS, admit, lineage_of
from services.hotline.settings import PlatformSettings, Settings
from services.hotline.tickets import STATE_LABELS
from services.hotline.views import manual_view, parked_view, ticket_summary, ticket_view
from shared import (
    calls,
    ops,  # the module, not its classes: `nameko run` serves every class it finds
)
from shared.actor import Actor, CurrentActor
from shared.clock import SHANGHAI, plain, utcnow
from shared.consuming import IdempotentConsumer, consumes, event_key
from shared.errors import EXPECTED, InvalidTransition, LinliError, field_error
from shared.mongo import MongoStore
from shared.privacy import sees_numbers
from shared.requests import once
from shared.rpc import rpc
from shared.timers import configured_timer

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
OPEN_STATES = ("received", "signed")


class HotlineService(ops.JournalOps, ops.ConsumerOps):
    name = "hotline"
    rights = RIGHTS  # who may call each RPC: checked before anything else

    store: HotlineStore = MongoStore(HotlineStore, "HOTLINE_DB", journal=JOURNAL)
    consumer = IdempotentConsumer("HOTLINE_DB")
    actor = CurrentActor()
    cases = RpcProxy("cases")
    rosters = RpcProxy("rosters")
    areas: Areas = AreasProvider()
    pool = CallPool()
    settings: Settings = SettingsProvider()
    adapters: dict[str, Platform] = PlatformsProvider()
    config = Config()

    def _system(self) -> dict:
        return self.actor.become_service(self.name).as_dict()

    def _platform(self, name: str) -> PlatformSettings:
        if name not in self.settings.platforms:
            known = ", ".join(self.settings.platforms)
            raise UnknownPlatform(f"no platform {name!r} here",
                                  [{"field": "platform", "reason": f"must be one of: {known}"}])
        return self.settings.platforms[name]

    def _areas(self, platform: PlatformSettings, field: str = "platform") -> dict[str, str | None]:
        """The platform's area codes → node ids; `OtherServiceUnavailable` naming `field` (and
        nothing done) while rosters cannot say."""
        timeout = float(self.config.get("ROSTERS_TIMEOUT_SECONDS", 10))

        def locate(path: list[str]) -> dict:
            return calls.call(self.rosters, "rosters", "locate_unit", timeout, field, OtherServiceUnavailable,
                              path=path)

        try:
            return self.areas.resolved(platform.areas, locate)
        except AreasUnavailable as error:
            raise OtherServiceUnavailable(str(error), [{"field": field, "reason": "rosters unavailable; "
                                                                                  "nothing was done"}]) from None

    def _send_to_cases(self, method: str, **arguments) -> dict:
        timeout = float(self.config.get("CASES_TIMEOUT_SECONDS", 10))
        return calls.call(self.cases, "cases", method, timeout, "case_id", OtherServiceUnavailable, **arguments)

    def _opener(self) -> syncing.OpenCase:
        """A new ticket's case opened at once and the ticket signed, as the service."""
        return casework.opener(self.store, self._send_to_cases, self._signer(), utcnow)

    def _signer(self) -> outbound.Sign:
        """A ticket whose case is opened is signed at once, as the service."""
        return outbound.signer(self.store, self.adapters, self.settings, self._system(), utcnow)

    def _audited(self, rpc_name: str, ticket_ids: list[str], caller: Actor) -> bool:
        """Whether the caller sees citizens' numbers; each such read recorded."""
        unmasked = sees_numbers(caller.role, self.settings.unmask_roles, caller.who)
        if unmasked:
            self.store.pii_reads.record(caller.as_dict(), rpc_name, ticket_ids)
        return unmasked

    def _view(self, ticket: dict, rpc_name: str, caller: Actor) -> dict:
        """The ticket with its calls, the citizen's phone as the caller's role may see it."""
        return ticket_view(ticket, self._audited(rpc_name, [ticket["_id"]], caller), self.store.calls.of_ticket(ticket))

    def _catch_up(self) -> None:
        """Make what the last records owe now, rather than at the next timer, as the service
        itself (a case opened under the caller's name would be another caller's case)."""
        casework.push_due(self.store, self._send_to_cases, self.settings, HOLDER, utcnow,
                          side_by_side=self.pool.imap, sign=self._signer())
        outbound.send_due(self.store, self.adapters, self.settings, self._system(), HOLDER, utcnow,
                          side_by_side=self.pool.imap)

    # tickets

    @rpc(expected_exceptions=EXPECTED)
    def get_ticket(self, **data) -> dict:
        ticket = self.store.tickets.get(schemas.TicketRef().load_or_raise(data)["ticket_id"])
        caller = self.actor()
        admit("get_ticket", caller, ticket)
        return self._view(ticket, "get_ticket", caller)

    @rpc(expected_exceptions=EXPECTED)
    def list_tickets(self, **data) -> dict:
        query = schemas.ListTickets().load_or_raise(data)
        actor = self.actor()
        where: dict = {key: query[key] for key in ("platform", "state") if query.get(key)}
        if query.get("node_id"):
            where["$or"] = [{"lineage": query["node_id"]}, {"community_id": query["node_id"]}]
        if actor.role not in ("system", "admin"):
            mine = actor.jurisdiction[-1] if actor.jurisdiction else "\0nowhere"
            where = {"$and": [where, {"$or": [{"lineage": mine}, {"community_id": mine}]}]}
        total, found = self.store.tickets.listed(where, query["limit"], query["offset"])
        unmasked = self._audited("list_tickets", [t["_id"] for t in found], actor)
        return {"total": total, "tickets": [ticket_summary(t, unmasked) for t in found]}

    @rpc(expected_exceptions=EXPECTED)
    @once
    def return_ticket(self, **data) -> dict:
        """退单: the ticket goes back to the platform, within its window after signing."""
        request = schemas.ReturnTicket().load_or_raise(data)
        ticket = self.store.tickets.get(request["ticket_id"])
        caller = self.actor()
        admit("return_ticket", caller, ticket)
        now = utcnow()
        if ticket["state"] not in OPEN_STATES:
            raise InvalidTransition(f"ticket {ticket['_id']} is {ticket['state']}",
                                    [{"field": "state", "reason": f"is {ticket['state']}; allowed: received, signed",
                                      "current_state": ticket["state"]}])
        if ticket.get("return_until") and now > ticket["return_until"]:
            raise ReturnTooLate("the return window has passed",
                                [{"field": "ticket_id", "reason": "the return window has passed",
                                  "current_state": ticket["state"]}])
        outbound.owe(self.store, ticket, "return", "asked", now, reason=request["reason"])
        self._catch_up()
        return self._view(self.store.tickets.get(ticket["_id"]), "return_ticket", caller)

    # sync

    @rpc(expected_exceptions=EXPECTED + (OtherServiceUnavailable,))
    def pull_now(self, **data) -> dict:
        """Fetch from a platform now instead of at the next timer; answers what came."""
        platform = self._platform(schemas.PlatformRef().load_or_raise(data)["platform"])
        self.actor()
        if not getattr(self.adapters[platform.name], "pulls", False):
            raise field_error("platform", "this platform's tickets are imported from its exports (import_tickets)")
        system = self._system()
        areas = self._areas(platform, "platform")
        tally = syncing.pull(self.store, self.adapters[platform.name], platform, areas, self.settings, system, HOLDER,
                             utcnow, side_by_side=self.pool.imap, open_case=self._opener())
        self._catch_up()
        return tally

    @rpc(expected_exceptions=EXPECTED + (OtherServiceUnavailable,))
    @once
    def import_tickets(self, **data) -> dict:
        """An export of the platform's tickets (XLSX), for a platform without an API."""
        request = schemas.ImportTickets().load_or_raise(data)
        platform = self._platform(request["platform"])
        self.actor()
        try:
            content = base64.b64decode(request["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise field_error("content_base64", "is not valid base64") from None
        adapter = self.adapters[platform.name]
        if not hasattr(adapter, "read_upload"):
            raise field_error("platform", "this platform is pulled over its API, not imported")
        try:
            page = adapter.read_upload(content)
        except PlatformRefused as error:
            raise field_error("content_base64", str(error)) from None
        system = self._system()
        areas = self._areas(platform, "platform")
        intake = syncing.Intake(self.store, platform, areas, self.settings, system, utcnow, self._opener())
        tally = intake.take(page.records, side_by_side=self.pool.imap)
        self._catch_up()
        return {"platform": platform.name, **tally.as_dict()}

    @rpc(expected_exceptions=EXPECTED)
    def parked(self, **data) -> dict:
        """What could not be used or delivered: records a platform sent, calls to the platform
        or to cases, each with the reason."""
        query = schemas.ParkedQuery().load_or_raise(data)
        self.actor()
        where = {"state": "parked", **({"platform": query["platform"]} if query.get("platform") else {})}
        found = []
        if query.get("kind") in (None, "record"):
            found += [{"kind": "record", **parked_view(d)} for d in self.store.records.listed(where, query["limit"])]
        if query.get("kind") in (None, "call"):
            found += [{"kind": "call", **parked_view(d)} for d in self.store.calls.listed(where, query["limit"])]
            found += [{"kind": "case_call", **parked_view(d)}
                      for d in self.store.case_calls.listed({"state": "parked"}, query["limit"])]
        return {"total": len(found), "parked": found[: query["limit"]]}

    @rpc(expected_exceptions=EXPECTED + (OtherServiceUnavailable,))
    @once
    def replay(self, **data) -> dict:
        """Try a parked record or call again (once its cause is fixed)."""
        parked_id = schemas.Replay().load_or_raise(data)["parked_id"]
        self.actor()
        system, now = self._system(), utcnow()
        for queue in (self.store.calls, self.store.case_calls):
            call = queue.find(parked_id)
            if call is not None:
                if call["state"] != "parked":
                    raise NotReplayable(f"{parked_id} is {call['state']}",
                                        [{"field": "parked_id", "reason": f"is {call['state']}, not parked"}])
                queue.settle(parked_id, None, {"state": "queued", "attempts": 0, "due_at": now, "parked_reason": None},
                             {"at": now, "outcome": "replayed"})
                self._catch_up()
                return {"parked_id": parked_id, "outcome": (queue.find(parked_id) or {}).get("state")}
        record = self.store.records.get(parked_id)
        if record["state"] != "parked":
            raise NotReplayable(f"{parked_id} is {record['state']}",
                                [{"field": "parked_id", "reason": f"is {record['state']}, not parked"}])
        platform = self._platform(record["platform"])
        areas = self._areas(platform, "parked_id")
        intake = syncing.Intake(self.store, platform, areas, self.settings, system, utcnow, self._opener())
        outcome = intake.replay(record)
        self._catch_up()
        return {"parked_id": parked_id, "outcome": outcome}

    @rpc(expected_exceptions=EXPECTED)
    def manual_calls(self, **data) -> dict:
        """Calls a clerk enters on a platform without an API (sign, reply, return, extension),
        oldest first, as JSON and as a workbook to work from."""
        query = schemas.ManualCalls().load_or_raise(data)
        platform = self._platform(query["platform"])
        actor = self.actor()
        waiting = [c for c in self.store.calls.listed({"platform": platform.name, "state": "manual"}, query["limit"])
                   if actor.may_act_on(lineage_of(self.store.tickets.get(c["ticket_id"])))]
        listed = [manual_view(c) for c in waiting]
        content = manual_sheet.workbook(f"12345待录入 {platform.name}", listed)
        return {"total": len(listed), "calls": listed, "filename": f"hotline-{platform.name}-to-enter.xlsx",
                "content_base64": base64.b64encode(content).decode()}

    @rpc(expected_exceptions=EXPECTED)
    @once
    def confirm_entered(self, **data) -> dict:
        """The clerk entered a call on the platform: the ticket records it (an extension with
        the platform's answer, `granted` and `deadline`)."""
        request = schemas.ConfirmEntered().load_or_raise(data)
        call = self.store.calls.find(request["call_id"])
        if call is None:
            raise CallNotFound(f"no call {request['call_id']}", [{"field": "call_id", "reason": "not found"}])
        ticket = self.store.tickets.get(call["ticket_id"])
        caller = self.actor()
        admit("confirm_entered", caller, ticket)
        if call["state"] != "manual":
            raise NotReplayable(f"{call['_id']} is {call['state']}",
                                [{"field": "call_id", "reason": f"is {call['state']}, not waiting to be entered"}])
        if call["action"] == "extend" and request["granted"] is None:
            raise field_error("granted", "is required for an extension: the platform's answer")
        answer = {"granted": request["granted"],
                  "deadline": request["deadline"].isoformat() if request.get("deadline") else None}
        outbound.confirm_entered(self.store, call, answer if call["action"] == "extend" else {}, self.settings,
                                 self._system(), utcnow)
        self._catch_up()
        return self._view(self.store.tickets.get(ticket["_id"]), "confirm_entered", caller)

    @rpc(expected_exceptions=EXPECTED)
    def sync_state(self, **data) -> dict:
        """Per platform: the cursor, the last pull, whether it is down, and what is owed."""
        schemas.Nothing().load_or_raise(data)
        self.actor()
        states = self.store.platforms.all(list(self.settings.platforms))
        out = {}
        for name, state in states.items():
            out[name] = {"adapter": self.settings.platforms[name].adapter, "cursor": state.get("cursor"),
                         "last_pull_at": state.get("last_pull_at"), "down_until": state.get("down_until"),
                         "calls_down_until": state.get("calls_down_until"), "last_error": state.get("last_error"),
                         "calls": self.store.calls.count_by_state({"platform": name}),
                         "parked_records": self.store.records.count({"platform": name, "state": "parked"})}
        return plain({"platforms": out, "case_calls": self.store.case_calls.count_by_state()})

    # appraisal and reconciliation

    def _period_tickets(self, query: dict) -> list[dict]:
        """The tickets received in the period (local days), of the platform and node asked, and
        of the caller's jurisdiction."""
        start = datetime.combine(query["date_from"], time(0), SHANGHAI)
        end = datetime.combine(query["date_to"] + timedelta(days=1), time(0), SHANGHAI)
        where: dict = {"platform": query["platform"]} if query.get("platform") else {}
        found = self.store.tickets.received_between(where, start, end)
        actor = self.actor()
        return [t for t in found if (not query.get("node_id") or query["node_id"] in lineage_of(t))
                and actor.may_act_on(lineage_of(t))]

    @rpc(expected_exceptions=EXPECTED)
    def kpis(self, **data) -> dict:
        """响应率, 解决率, 满意率 (as `KPIS` defines them) per community, for tickets received in the period."""
        query = schemas.Period().load_or_raise(data)
        self.actor()
        appraisal = kpis.by_community(self._period_tickets(query), self.settings.kpis, utcnow())
        return plain({"date_from": query["date_from"], "date_to": query["date_to"], **appraisal})

    @rpc(expected_exceptions=EXPECTED + (OtherServiceUnavailable,))
    def reconciliation(self, **data) -> dict:
        """The platform's tickets against the tickets and cases here, and the appraisal, as JSON
        and as a workbook."""
        query = schemas.Reconcile().load_or_raise(data)
        platform = self._platform(query["platform"])
        self.actor()
        ours = self._period_tickets(query)
        listed, listing_note = self._listed(platform, query)
        self._system()
        cases = self._cases_of(ours, query["date_from"])
        pending = {c["ticket_id"] for c in self.store.calls.listed({"action": "reply",
                                                                    "state": {"$in": ["queued", "sending"]}}, 100_000)}
        ours = [{**t, "reply_pending": t["_id"] in pending} for t in ours]
        now = utcnow()
        report = reconciling.reconcile(listed, ours, cases, now)
        appraisal = kpis.by_community(ours, self.settings.kpis, now)
        title = f"12345工单对账 {platform.name} {query['date_from']} 至 {query['date_to']}"
        content = report_sheet.workbook(title, report, appraisal, self._names(appraisal["communities"]))
        return plain({"platform": platform.name, "date_from": query["date_from"], "date_to": query["date_to"],
                      "tickets": len(ours), "platform_tickets": None if listed is None else len(listed),
                      "platform_listing": listing_note, "clean": report["clean"], "counts": report["counts"],
                      "rows": report["rows"][:500], "kpis": appraisal,
                      "filename": f"hotline-{platform.name}-{query['date_from']}-{query['date_to']}.xlsx",
                      "content_base64": base64.b64encode(content).decode()})

    def _names(self, node_ids) -> dict[str, str]:
        """The communities' names as rosters has them (their ids where rosters cannot say)."""
        timeout = float(self.config.get("ROSTERS_TIMEOUT_SECONDS", 10))
        names = {}
        for node_id in node_ids:
            try:
                names[node_id] = calls.call(self.rosters, "rosters", "get_unit", timeout, "node_id",
                                            OtherServiceUnavailable, unit_id=node_id)["name"]
            except (LinliError, RemoteError):
                names[node_id] = node_id
        return names

    def _listed(self, platform: PlatformSettings, query: dict) -> tuple[list[dict] | None, str]:
        start = datetime.combine(query["date_from"], time(0), SHANGHAI)
        end = datetime.combine(query["date_to"] + timedelta(days=1), time(0), SHANGHAI)
        try:
            listed = self.adapters[platform.name].tickets(start)
        except ManualEntry as error:
            return None, f"not available: {error}"
        except (PlatformDown, PlatformRefused) as error:
            return None, f"platform did not answer: {error}"
        kept = []
        for entry in listed:
            received = tickets.moment(entry.get("received_at"))
            if received is None or start <= received < end:
                kept.append(entry)
        return kept, "compared"

    def _cases_of(self, ours: list[dict], date_from) -> dict[str, dict]:
        """The cases of these tickets, read a community at a time from the period's start to today."""
        found: dict[str, dict] = {}
        for community_id in sorted({t["community_id"] for t in ours}):
            offset = 0
            while True:
                page = self._send_to_cases("search", node_id=community_id, date_from=date_from.isoformat(),
                                           limit=200, offset=offset)
                for case in page["items"]:
                    if case.get("external_ref"):
                        found[case["external_ref"]] = case
                offset += len(page["items"])
                if not page["items"] or offset >= page["total"]:
                    break
        return found

    # labels and ops

    @rpc(expected_exceptions=EXPECTED)
    def labels(self, **data) -> dict:
        self.actor()
        schemas.Nothing().load_or_raise(data)
        return {"ticket_states": [{"code": c, "label": label} for c, label in STATE_LABELS.items()],
                "platforms": [{"name": n, "adapter": p.adapter} for n, p in self.settings.platforms.items()]}

    # events and timers

    def _ticket_of(self, payload: dict) -> dict | None:
        if payload.get("channel") != "hotline" or not payload.get("external_ref"):
            return None
        return self.store.tickets.find(payload["external_ref"])

    @consumes("cases", "case_resolved")
    def on_case_resolved(self, event: dict) -> dict:
        """A hotline case resolved: 办结回复 with the result, once per resolution."""
        ticket = self._ticket_of(event["payload"])
        if ticket is None:
            return {"skipped": "not a ticket of this service"}
        result = (event["payload"].get("detail") or {}).get("result") or "已办结"
        call = outbound.owe(self.store, ticket, "reply", event_key(event), utcnow(), result=str(result)[:2000])
        return {"call_id": call["_id"]}

    @consumes("cases", "case_sent_back")
    def on_case_sent_back(self, event: dict) -> dict:
        """A hotline case sent back as not this community's: 退单 with the case's reason, once
        per event. A ticket no longer returnable has the call parked with why, for staff to see."""
        ticket = self._ticket_of(event["payload"])
        if ticket is None:
            return {"skipped": "not a ticket of this service"}
        reason = str((event["payload"].get("detail") or {}).get("reason") or "不属本社区办理")[:2000]
        now = utcnow()
        call = outbound.owe(self.store, ticket, "return", event_key(event), now, reason=reason)
        why_not = _not_returnable(ticket, now)
        if why_not is None:
            return {"call_id": call["_id"]}
        held = self.store.calls.take(call, HOLDER, now, self.settings.lease)
        if held is not None:  # None: parked already (a repeat), or a sender has it and the platform refuses it
            outbound.park(self.store, held, HOLDER, why_not, self._system(), utcnow)
        return {"call_id": call["_id"], "not_returnable": why_not}

    @consumes("cases", "case_extension_requested")
    def on_extension_requested(self, event: dict) -> dict:
        """The handler asks for more time: 延期 asked of the platform, whose answer decides it."""
        ticket = self._ticket_of(event["payload"])
        if ticket is None:
            return {"skipped": "not a ticket of this service"}
        detail = event["payload"].get("detail") or {}
        call = outbound.owe(self.store, ticket, "extend", event_key(event), utcnow(),
                            working_days=int(detail.get("working_days") or 1), reason=str(detail.get("reason") or ""))
        return {"call_id": call["_id"]}

    @configured_timer("PULL_SECONDS", default=10)
    def pull_platforms(self) -> None:
        system = self._system()
        for name, platform in self.settings.platforms.items():
            if getattr(self.adapters[name], "pulls", False):
                try:
                    areas = self._areas(platform)
                except OtherServiceUnavailable as error:
                    log.warning("hotline: %s not pulled this round: %s", name, error)
                    continue
                syncing.pull(self.store, self.adapters[name], platform, areas, self.settings, system, HOLDER, utcnow,
                             side_by_side=self.pool.imap, open_case=self._opener())

    @configured_timer("CASE_SYNC_SECONDS", default=1)
    def push_case_calls(self) -> None:
        casework.push_due(self.store, self._send_to_cases, self.settings, HOLDER, utcnow,
                          side_by_side=self.pool.imap, sign=self._signer())

    @configured_timer("SEND_SECONDS", default=1)
    def send_calls(self) -> None:
        outbound.send_due(self.store, self.adapters, self.settings, self._system(), HOLDER, utcnow,
                          side_by_side=self.pool.imap)


def _not_returnable(ticket: dict, now: datetime) -> str | None:
    """Why the ticket can no longer be returned (退单); None while it can."""
    if ticket["state"] not in OPEN_STATES:
        return f"the ticket is {ticket['state']}; a return needs it received or signed"
    if ticket.get("return_until") and now > ticket["return_until"]:
        return "the return window has passed"
    return None

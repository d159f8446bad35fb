"""The notifications nameko service: notices to people and segments of the roster, on their
channels, at a time they read them, once. Thin entrypoints over `notices_desk`, `fanout` and
`sending`; the events of cases, volunteers and rosters come in through the idempotent consumer."""

import logging
import os
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.notifications import delivery, fanout, notices_desk, schemas, triggers
from services.notifications.audiences import Directory
from services.notifications.composing import Rules
from services.notifications.dependencies import ChannelsProvider, SenderPool, SettingsProvider
from services.notifications.exceptions import NotParked, OtherServiceUnavailable
from services.notifications.repository import JOURNAL, NotificationsStore
from services.notifications.rights import RIGHTS, may_see, person_for
from services.notifications.sending import Sender
from services.notifications.templates import needed
from services.notifications.views import inbox_view, message_view, notice_view
from services.notifications.windows import Schedule
from shared import ops  # the module, not its classes: `nameko run` serves every class it finds
from shared.actor import CurrentActor
from shared.calls import call
from shared.clock import utcnow
from shared.consuming import IdempotentConsumer, consumes
from shared.errors import EXPECTED
from shared.mongo import MongoStore
from shared.requests import once
from shared.rpc import rpc
from shared.timers import configured_timer

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class NotificationsService(ops.JournalOps, ops.ConsumerOps, ops.PublishedInputs):
    name = "notifications"
    rights = RIGHTS  # who may call each RPC: checked before anything else
    published_inputs = {"Notify": schemas.Notify}  # what other systems send, documented by the gateway

    store: NotificationsStore = MongoStore(NotificationsStore, "NOTIFICATIONS_DB", journal=JOURNAL)
    consumer = IdempotentConsumer("NOTIFICATIONS_DB")
    actor = CurrentActor()
    rosters = RpcProxy("rosters")
    volunteers = RpcProxy("volunteers")
    cases = RpcProxy("cases")
    settings = SettingsProvider()
    channels = ChannelsProvider()
    pool = SenderPool()
    config = Config()

    def _timeout(self) -> float:
        return float(self.config.get("OTHERS_TIMEOUT_SECONDS", 10))

    def _directory(self) -> Directory:
        return Directory(self.rosters, self.volunteers, self._timeout())

    def _rules(self) -> Rules:
        return Rules(self.settings.catalogue, self.channels.needs, self.settings.default_channels,
                     self.settings.lookback, self.settings.zone)

    def _fan_out(self, notice_id: str) -> dict | None:
        return fanout.fan_out(self.store, self._directory(), self.channels.inbox, self._rules(), notice_id, HOLDER,
                              self.settings.fanout_lease, utcnow)

    def _sender(self) -> Sender:
        return Sender(self.store, self.channels.push, self.channels.limits, self.settings.retry,
                      self.settings.send_lease, utcnow, self.pool.spawn)

    # notices

    @rpc(expected_exceptions=EXPECTED)
    @once
    def notify(self, **data) -> dict:
        """Keep the notice and answer at once; the fan-out follows within `FANOUT_SCAN_SECONDS`."""
        request = schemas.Notify().load_or_raise(data)
        actor = self.actor()
        notices_desk.check_template(self.settings.catalogue, request["template"], request["fields"])
        scope = notices_desk.scope_of(actor, request["to"], self._directory(), self._timeout())
        notice = notices_desk.new_notice(notices_desk.notice_id_for(actor, request["idempotency_key"]),
                                         request["template"], request["fields"], request["urgency"], request["to"],
                                         scope, actor.as_dict(), utcnow(), {"rpc": "notify"})
        stored, created = self.store.notices.insert_new(notice)
        if not created:
            notices_desk.same_request(stored, notice)
        return notice_view(stored, self.store.messages.count_by_state(stored["_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def notice_status(self, **data) -> dict:
        notice = self.store.notices.get(schemas.NoticeRef().load_or_raise(data)["notice_id"])
        may_see("notice_status", self.actor(), notice)
        return notice_view(notice, self.store.messages.count_by_state(notice["_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def list_messages(self, **data) -> dict:
        query = schemas.ListMessages().load_or_raise(data)
        may_see("list_messages", self.actor(), self.store.notices.get(query["notice_id"]))
        where = {"notice_id": query["notice_id"], **({"state": query["state"]} if query["state"] else {})}
        total, found = self.store.messages.listed(where, query["limit"], query["offset"])
        return {"total": total, "messages": [message_view(m, self._unmasked()) for m in found]}

    @rpc(expected_exceptions=EXPECTED)
    def message_status(self, **data) -> dict:
        """A message's delivery log: state, channel used, every attempt (queued, sent, failed)."""
        message = self.store.messages.get(schemas.MessageRef().load_or_raise(data)["message_id"])
        may_see("message_status", self.actor(), message)
        folded_into = message.get("folded_into")
        return message_view(message, self._unmasked(), self.store.messages.get(folded_into) if folded_into else None)

    @rpc(expected_exceptions=EXPECTED)
    def parked_messages(self, **data) -> dict:
        """Messages no channel would carry (replayable); with `fell_back`, those whose first
        channels were given up and parked while a later one carried them."""
        query = schemas.ParkedMessages().load_or_raise(data)
        actor = self.actor()
        where = {"fell_back": True} if query["fell_back"] else {"state": "parked"}
        total, found = self.store.messages.listed(where, query["limit"], query["offset"])
        seen = [m for m in found if actor.may_act_on(m.get("scope") or [])]
        return {"total": total, "messages": [message_view(m, self._unmasked()) for m in seen]}

    @rpc(expected_exceptions=EXPECTED)
    @once
    def replay_message(self, **data) -> dict:
        """A parked message queued again from its first channel."""
        message = self.store.messages.get(schemas.MessageRef().load_or_raise(data)["message_id"])
        may_see("replay_message", self.actor(), message)
        if message["state"] != "parked":
            raise NotParked(f"message {message['_id']} is {message['state']}",
                            [{"field": "message_id", "reason": f"is {message['state']}, not parked"}])
        now = utcnow()
        self.store.messages.advance(message, delivery.replayed(message, now), {}, [])
        self.store.pending.put(message["_id"], now)
        return message_view(self.store.messages.get(message["_id"]), self._unmasked())

    def _unmasked(self) -> bool:
        return self.actor().role in self.settings.unmask_roles

    # the inbox and preferences

    @rpc(expected_exceptions=EXPECTED)
    def inbox(self, **data) -> dict:
        query = schemas.InboxQuery().load_or_raise(data)
        person_id = person_for("inbox", self.actor(), query["person_id"])
        total, unread, items = self.store.inbox.of(person_id, query["unread_only"], query["limit"], query["offset"])
        return {"person_id": person_id, "total": total, "unread": unread, "items": [inbox_view(i) for i in items]}

    @rpc(expected_exceptions=EXPECTED)
    def mark_read(self, **data) -> dict:
        request = schemas.MarkRead().load_or_raise(data)
        person_id = person_for("mark_read", self.actor(), request["person_id"])
        marked = self.store.inbox.mark_read(person_id, request["item_ids"], utcnow())
        return {"person_id": person_id, "marked": marked}

    @rpc(expected_exceptions=EXPECTED)
    def get_preferences(self, **data) -> dict:
        person_id = person_for("get_preferences", self.actor(), schemas.PersonRef().load_or_raise(data)["person_id"])
        return self._preferences_view(person_id)

    @rpc(expected_exceptions=EXPECTED)
    @once
    def set_preferences(self, **data) -> dict:
        """Channels in order, addresses, delivery windows and zone; what is not given stays."""
        request = schemas.SetPreferences().load_or_raise(data)
        person_id = person_for("set_preferences", self.actor(), request.pop("person_id"))
        request.pop("request_id", None)
        if "windows" in request and request["windows"] is not None:
            request["windows"] = Schedule.read(request["windows"]).stored()
        if "addresses" in request:
            request = {**{f"addresses.{k}": v for k, v in request.pop("addresses").items()}, **request}
        self.store.preferences.put(person_id, request, utcnow())
        return self._preferences_view(person_id)

    def _preferences_view(self, person_id: str) -> dict:
        stored = self.store.preferences.of([person_id]).get(person_id) or {}
        windows = stored.get("windows")
        return {"person_id": person_id, "channels": list(stored.get("channels") or self.settings.default_channels),
                "addresses": dict(stored.get("addresses") or {}),
                "windows": Schedule.read(windows).shown(),
                "zone": stored.get("zone") or self.settings.zone, "enabled_channels": sorted(self.channels.push)}

    @rpc(expected_exceptions=EXPECTED)
    def catalogue(self, **data) -> dict:
        """The templates (with the fields each needs), the channels enabled here, the urgencies."""
        self.actor()
        schemas.Nothing().load_or_raise(data)
        return {"templates": [{"template": t, **body, "fields": sorted(needed(body))}
                              for t, body in sorted(self.settings.catalogue.items())],
                "channels": ["inbox", *sorted(self.channels.push)],
                "urgencies": [{"code": c, "label": label} for c, label in triggers.URGENCY_LABELS.items()]}

    # ops

    # events

    def _notify_for(self, event: dict, found: list[triggers.Trigger], scope: list[str]) -> dict:
        """The notices an event's triggers make, fanned out now (once each, however often the
        event arrives: their ids derive from it)."""
        made = []
        for n, trigger in enumerate(found):
            notice = notices_desk.from_trigger(event, n, trigger, scope, utcnow(), self.settings.catalogue)
            if notice is None:
                continue
            stored, _ = self.store.notices.insert_new(notice)
            self._fan_out(stored["_id"])
            made.append(stored["_id"])
        return {"notices": made}

    def _case_event(self, event: dict) -> dict:
        self.actor.become_service(self.name)
        payload = event["payload"]
        case = call(self.cases, "cases", "get_case", self._timeout(), "case_id", OtherServiceUnavailable,
                    case_id=payload["case_id"])
        found = [triggers.Trigger(t.template, t.urgency, t.audiences, {**triggers.case_fields(event, case), **t.fields})
                 for t in triggers.for_case(event, case)]
        return self._notify_for(event, found, list(payload.get("lineage") or []))

    @consumes("cases", "case_dispatched")
    def on_case_dispatched(self, event: dict) -> dict:
        return self._case_event(event)

    @consumes("cases", "case_accepted")
    def on_case_accepted(self, event: dict) -> dict:
        return self._case_event(event)

    @consumes("cases", "case_overdue")
    def on_case_overdue(self, event: dict) -> dict:
        return self._case_event(event)

    @consumes("cases", "case_resolved")
    def on_case_resolved(self, event: dict) -> dict:
        return self._case_event(event)

    @consumes("cases", "case_reopened")
    def on_case_reopened(self, event: dict) -> dict:
        return self._case_event(event)

    def _task_event(self, event: dict) -> dict:
        self.actor.become_service(self.name)
        fields = triggers.task_fields(event, self._local_time)
        found = [triggers.Trigger(t.template, t.urgency, t.audiences, {**fields, **t.fields})
                 for t in triggers.for_task(event)]
        return self._notify_for(event, found, list(event["payload"].get("lineage") or []))

    def _local_time(self, iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(ZoneInfo(self.settings.zone)).strftime("%m月%d日 %H:%M")

    @consumes("volunteers", "task_opened")
    def on_task_opened(self, event: dict) -> dict:
        return self._task_event(event)

    @consumes("volunteers", "task_claimed")
    def on_task_claimed(self, event: dict) -> dict:
        return self._task_event(event)

    @consumes("volunteers", "task_reminder")
    def on_task_reminder(self, event: dict) -> dict:
        return self._task_event(event)

    @consumes("volunteers", "task_unclaimed")
    def on_task_unclaimed(self, event: dict) -> dict:
        return self._task_event(event)

    @consumes("rosters", "appointment_started")
    def on_appointment_started(self, event: dict) -> dict:
        self.actor.become_service(self.name)
        payload = event["payload"]
        unit = call(self.rosters, "rosters", "get_unit", self._timeout(), "unit_id", OtherServiceUnavailable,
                    unit_id=payload["unit_id"])
        labels = call(self.rosters, "rosters", "labels", self._timeout(), "role", OtherServiceUnavailable)
        role = payload.get("role")
        role_label = next((r["label"] for r in labels["roles"] if r["code"] == role), role)
        found = [triggers.Trigger(t.template, t.urgency, t.audiences,
                                  {**t.fields, "unit_name": unit["name"], "role_label": role_label})
                 for t in triggers.for_roster(event)]
        return self._notify_for(event, found, [*unit.get("ancestors", []), unit["unit_id"]])

    # timers

    @configured_timer("FANOUT_SCAN_SECONDS", default=1)
    def resume_fan_outs(self) -> None:
        """Fan out the notices `notify` kept, and those an instance left half done."""
        self.actor.become_service(self.name)
        for notice in self.store.notices.unfinished(utcnow()):
            self._fan_out(notice["_id"])

    @configured_timer("DELIVERY_SCAN_SECONDS", default=1)
    def send_due(self) -> None:
        self._sender().send_due()


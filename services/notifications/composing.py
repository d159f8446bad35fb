"""One notice to one person: the message (rendered, timed, its channels in the person's order)
and its inbox item. Pure: what was read (preferences, the last push) comes in as arguments."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notifications.delivery import INBOX, channels_for
from services.notifications.templates import Rendered, render
from services.notifications.timing import timing
from services.notifications.windows import Schedule
from shared.ids import derived_id


@dataclass(frozen=True)
class Rules:
    """What composing needs from config."""

    catalogue: Mapping[str, Mapping[str, str]]
    needs: Mapping[str, str | None]  # channel enabled here → the address it needs
    default_channels: tuple[str, ...]
    lookback: timedelta
    zone: str


def message_id(notice_id: str, person_id: str) -> str:
    return derived_id("msg", notice_id, person_id)


def compose(notice: Mapping, recipient: Mapping, preference: Mapping | None, last_push: datetime | None,
            rules: Rules, now: datetime) -> tuple[dict, dict]:
    """(message, inbox item) for `recipient` ({person_id, name, phone?})."""
    preference = preference or {}
    person_id = recipient["person_id"]
    text = render(rules.catalogue, notice["template"], {**notice["fields"], "recipient_name": recipient.get("name")})
    addresses = {**({"phone": recipient["phone"]} if recipient.get("phone") else {}),
                 **{k: v for k, v in (preference.get("addresses") or {}).items() if v}}
    channels = channels_for(preference.get("channels") or rules.default_channels, addresses, rules.needs)
    doc_id = message_id(notice["_id"], person_id)
    message = {"_id": doc_id, "version": 0, "notice_id": notice["_id"], "person_id": person_id,
               "name": recipient.get("name") or "", "urgency": notice["urgency"], "title": text.title,
               "body": text.body, "channels": channels, "addresses": addresses,
               "scope": list(notice.get("scope") or []), "attempts": [], "failures": {}, "created_at": now,
               "lease_until": None}
    if channels:
        schedule = Schedule.read(preference.get("windows"), preference.get("zone") or rules.zone)
        when = timing(notice["urgency"], now, schedule, last_push, rules.lookback)
        message.update(state="queued", channel=channels[0], due_at=when.due_at, digest_key=when.digest_key(person_id))
    else:
        message.update(state="sent", channel=None, channel_used=INBOX, sent_at=now, due_at=None, digest_key=None)
    return message, inbox_item(doc_id, person_id, notice["_id"], notice["urgency"], text, now)


def inbox_item(item_id: str, person_id: str, notice_id: str, urgency: str, text: Rendered, now: datetime) -> dict:
    return {"_id": item_id, "person_id": person_id, "notice_id": notice_id, "urgency": urgency, "title": text.title,
            "body": text.body, "created_at": now, "read_at": None}

"""A notice fanned out to its audiences, page by page: one message per person (however many
audiences name them, however often the notice is fanned out) and its inbox item, written in
bulk. The instance fanning a notice out holds it with a lease it renews page by page; when it
dies, another instance takes the notice over once the lease has run out and goes on from the
last page recorded (pages done again add nothing: every id derives from the notice and the
person)."""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from services.notifications.audiences import Directory
from services.notifications.composing import Rules, compose
from services.notifications.repository import NotificationsStore
from services.notifications.templates import BadTemplate

log = logging.getLogger(__name__)


def fan_out(store: NotificationsStore, directory: Directory, inbox_channel, rules: Rules, notice_id: str,
            holder: str, lease: timedelta, clock: Callable[[], datetime]) -> dict | None:
    """Fan the notice out if nobody else holds it; the notice as left (None: held elsewhere)."""
    notice = store.notices.take(notice_id, holder, clock(), lease)
    if notice is None:
        return None
    cursor = dict(notice.get("cursor") or {"audience": 0, "offset": 0})
    resumed = notice.get("takes", 1) > 1  # an instance died part way: count what it wrote
    counts = {"recipients": store.messages.count_of(notice_id) if resumed else 0,
              "skipped": list(notice.get("skipped") or [])}
    audiences = notice["audiences"]
    while cursor["audience"] < len(audiences):
        for next_offset, recipients in directory.pages(audiences[cursor["audience"]], cursor["offset"]):
            counts["recipients"] += _write_page(store, inbox_channel, rules, notice, recipients, clock(),
                                                counts["skipped"])
            cursor["offset"] = next_offset
            if not store.notices.progress(notice_id, holder, {"cursor": cursor, **counts}, clock(), lease):
                return None  # taken over: the other holder goes on from here
        cursor = {"audience": cursor["audience"] + 1, "offset": 0}
    store.notices.finish(notice_id, holder, {"cursor": cursor, **counts, "finished_at": clock()})
    return store.notices.get(notice_id)


def _write_page(store: NotificationsStore, inbox_channel, rules: Rules, notice: Mapping, recipients: list[dict],
                now: datetime, skipped: list) -> int:
    """Write one page; how many of its messages are new (a page written twice adds none)."""
    people = list({r["person_id"]: r for r in recipients}.values())
    ids = [p["person_id"] for p in people]
    preferences = store.preferences.of(ids)
    last_pushes = store.pushes.last(ids)
    messages, items = [], []
    for person in people:
        try:
            message, item = compose(notice, person, preferences.get(person["person_id"]),
                                    last_pushes.get(person["person_id"]), rules, now)
        except BadTemplate as bad:  # checked when the notice was made; a template changed meanwhile
            skipped.append({"person_id": person["person_id"], "reason": f"{bad.field}: {bad.reason}"})
            continue
        messages.append(message)
        items.append(item)
    added = store.messages.add(messages)
    inbox_channel.place(store.inbox, items)
    store.pending.add([{"_id": m["_id"], "due_at": m["due_at"], "digest_key": m["digest_key"]}
                       for m in messages if m["state"] == "queued"])
    return added

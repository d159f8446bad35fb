"""Sending what is due, on every instance at once without sending anything twice: a message is
taken with a lease before its channel is called, and its outcome is the message's next version
(written through the journal, which publishes `notice_sent` / `notice_failed` once).

A message that belongs to a digest is not sent alone: the first instance to take the digest's
lock folds every due message of it into one digest message (count and list), which is then sent
like any other. A lock's round numbers the digest messages of one key, so a message that lands
on a digest already sent goes out in the next round, and a round whose holder died after
folding is finished by the next holder."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.notifications import delivery
from services.notifications.channel import Outgoing, PermanentFailure, TemporaryFailure
from services.notifications.exceptions import ChangedMeanwhile
from services.notifications.repository import NotificationsStore
from services.notifications.templates import digest
from shared.events import envelope
from shared.ids import derived_id
from shared.retrying import RetryPolicy

log = logging.getLogger(__name__)
SYSTEM = {"who": "notifications", "role": "system", "jurisdiction": []}


@dataclass
class Sender:
    store: NotificationsStore
    channels: Mapping[str, Any]  # enabled push channels by name
    limits: Mapping[str, int | None]  # sends per minute by channel
    policy: RetryPolicy
    lease: timedelta
    clock: Callable[[], datetime]
    spawn: Callable[..., Any] | None = None  # run sends side by side (a green pool's `spawn`)

    def send_due(self, limit: int = 200) -> int:
        """Send (or fold into digests) what is due now; how many sends were tried."""
        now = self.clock()
        hints = self.store.pending.due(now, limit)
        due = self._still_due(self.store.messages.by_ids(h["_id"] for h in hints), {h["_id"] for h in hints}, now)
        keys = {m["digest_key"] for m in due if m["state"] == "queued" and m.get("digest_key")}
        alone = [m for m in due if not (m["state"] == "queued" and m.get("digest_key"))]
        alone += [d for key in sorted(keys) for d in self.gather(key)]
        if self.spawn is None:
            return sum(self.send(m) for m in alone)
        return sum(run.wait() for run in [self.spawn(self.send, m) for m in alone])

    def _still_due(self, messages: list[dict], hinted: set[str], now: datetime) -> list[dict]:
        """The hinted messages that are due now; the hints of the others are dropped (the
        message needs nothing more) or moved to when the message is due."""
        due, done = [], set(hinted) - {m["_id"] for m in messages}
        for message in messages:
            state = message["state"]
            if state in ("sent", "parked", "folded"):
                done.add(message["_id"])
            elif state == "queued" and message["due_at"] > now:
                self.store.pending.put(message["_id"], message["due_at"], message.get("digest_key"))
            elif state == "sending" and message["lease_until"] and message["lease_until"] > now:
                self.store.pending.put(message["_id"], message["lease_until"], message.get("digest_key"))
            else:
                due.append(message)
        self.store.pending.drop(done)
        return due

    def gather(self, key: str) -> list[dict]:
        """The digest messages made of the due messages of `key` (none while another instance
        gathers it)."""
        now = self.clock()
        round_ = self.store.locks.take(f"digest:{key}", now, self.lease)
        if round_ is None:
            return []
        try:
            made = []
            if round_ > 1:  # a holder that died after folding left its round unsent
                earlier = derived_id("dgm", key, str(round_ - 1))
                made += self._digest(key, earlier, self.store.messages.folded_into(earlier), now)
            this = derived_id("dgm", key, str(round_))
            waiting = self.store.pending.of_digest(key)
            made += self._digest(key, this, self.store.messages.folded(key, waiting, now, this), now)
            return made
        finally:
            self.store.locks.let_go(f"digest:{key}")

    def _digest(self, key: str, digest_id: str, members: list[dict], now: datetime) -> list[dict]:
        if not members:
            return []
        first = members[0]
        text = digest([m["title"] for m in members]) if len(members) > 1 else None
        doc = {"_id": digest_id, "version": 0, "kind": "digest", "digest_of_key": key,
               "members": [m["_id"] for m in members], "notice_id": None, "person_id": first["person_id"],
               "name": first["name"], "urgency": "normal", "title": text.title if text else first["title"],
               "body": text.body if text else first["body"], "channels": first["channels"],
               "channel": first["channels"][0], "addresses": first["addresses"], "scope": first.get("scope") or [],
               "attempts": [], "failures": {},
               "state": "queued", "due_at": now, "digest_key": None, "created_at": now, "lease_until": None}
        self.store.messages.add([doc])
        self.store.pending.put(digest_id, now)
        self.store.pending.drop(m["_id"] for m in members)  # after the digest's own hint: nothing falls between
        return [self.store.messages.get(digest_id)]

    def send(self, message: Mapping) -> int:
        """Send the message on its channel; one that fails for good is passed to the next
        channel and tried there at once."""
        tried = 0
        for _ in range(len(message.get("channels") or ()) or 1):
            outcome = self._send_once(message)
            tried += 1 if outcome is not None else 0
            if outcome is None or outcome.set.get("state") != "queued" or outcome.set.get("due_at") != self.clock():
                break
            message = self.store.messages.get(message["_id"])
        return tried

    def _send_once(self, message: Mapping) -> delivery.Outcome | None:
        now = self.clock()
        taken = self.store.messages.take(message, now, self.lease)
        if taken is None:
            return None  # another sender has it, or it changed
        name = taken["channel"]
        channel = self.channels.get(name)
        limit = self.limits.get(name)
        if channel is not None and limit and not self.store.rates.take(name, now, limit):
            self._wait_for_next_minute(taken, now)
            return None
        if channel is None:
            outcome = delivery.failed(taken, name, "channel not enabled here", False, now, self.policy)
        else:
            outcome = self._call(channel, taken, now)
        return outcome if self._record(taken, outcome, now) else None

    def _call(self, channel, message: Mapping, now: datetime) -> delivery.Outcome:
        address_key = getattr(channel, "address", None)
        outgoing = Outgoing(message["_id"], message["person_id"], message["name"],
                            message["addresses"].get(address_key) if address_key else None,
                            message["addresses"].get("phone"), message["title"], message["body"], message["urgency"])
        try:
            receipt = channel.send(outgoing)
        except TemporaryFailure as failure:
            return delivery.failed(message, message["channel"], str(failure), True, now, self.policy)
        except PermanentFailure as failure:
            return delivery.failed(message, message["channel"], str(failure), False, now, self.policy)
        except Exception as error:  # a channel's own bug: kept as a failure, tried again, then parked
            log.exception("notifications: channel %s failed on %s", message["channel"], message["_id"])
            return delivery.failed(message, message["channel"], f"{type(error).__name__}: {error}", True, now,
                                   self.policy)
        return delivery.sent(message, message["channel"], now, receipt)

    def _record(self, message: Mapping, outcome: delivery.Outcome, now: datetime) -> bool:
        events = [envelope(outcome.event, payload(message, outcome), SYSTEM)] if outcome.event else []
        try:
            self.store.messages.advance(message, outcome.set, {"attempts": [outcome.attempt]}, events)
        except ChangedMeanwhile:
            return False  # a sender that took over after our lease ran out wrote its outcome first
        state = outcome.set.get("state")
        if state == "queued":
            self.store.pending.put(message["_id"], outcome.set["due_at"])
        else:
            self.store.pending.drop([message["_id"]])
        if state == "sent":
            self.store.pushes.record(message["person_id"], now)
        if message.get("kind") == "digest" and outcome.set.get("state") in ("sent", "parked"):
            self.store.messages.settle_folded(message["_id"], {"state": outcome.set["state"],
                                                               "channel_used": outcome.set.get("channel_used"),
                                                               "sent_at": outcome.set.get("sent_at")})
        return True

    def _wait_for_next_minute(self, message: Mapping, now: datetime) -> None:
        """A channel at its rate limit: the message waits, queued, for the next minute."""
        next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        self.store.messages.requeue(message, next_minute)
        self.store.pending.put(message["_id"], next_minute)


def payload(message: Mapping, outcome: delivery.Outcome) -> dict:
    """What `notice_sent` and `notice_failed` say: ids and channels, no addresses."""
    return {"message_id": message["_id"], "notice_id": message.get("notice_id"), "person_id": message["person_id"],
            "channel": outcome.attempt["channel"], "attempts": len(message.get("attempts") or ()) + 1,
            "digest_of": list(message.get("members") or ()), "reason": outcome.set.get("reason")}


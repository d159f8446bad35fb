"""A message's way out, as pure functions over its document: the channels it will try in the
person's order, what a send's outcome does (sent; tried again later with exponential backoff
and jitter; given up on this channel and passed to the next; parked when no channel is left),
and the delivery log every attempt adds to.

States: `queued` (waiting for `due_at`) → `sending` (one sender holds it until `lease_until`) →
`sent` or back to `queued` (a retry, or the next channel) or `parked` (every channel failed for
good; `reason` says why). A parked message is replayed from its first channel."""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.retrying import RetryPolicy

INBOX = "inbox"


def channels_for(preferred: Sequence[str], addresses: Mapping[str, str], needs: Mapping[str, str | None]) -> list[str]:
    """The push channels a message tries, in the person's order: those configured here (`needs`:
    channel → the address it needs, or None for a group robot) for which the person has that
    address. The inbox is not among them: every message is in the inbox anyway."""
    chosen = []
    for channel in preferred:
        if channel == INBOX or channel not in needs or channel in chosen:
            continue
        address_key = needs[channel]
        if address_key is None or addresses.get(address_key):
            chosen.append(channel)
    return chosen


def _attempt(channel: str, now: datetime, outcome: str, error: str | None = None, receipt: str | None = None) -> dict:
    return {"channel": channel, "at": now, "outcome": outcome,
            **({"error": error} if error else {}), **({"receipt": receipt} if receipt else {})}


@dataclass(frozen=True)
class Outcome:
    """What to write after a send: the fields to set and the attempt to add to the log."""

    set: dict
    attempt: dict
    event: str | None = None  # `notice_sent`, `notice_failed`


def sent(message: Mapping, channel: str, now: datetime, receipt: str | None = None) -> Outcome:
    return Outcome({"state": "sent", "channel_used": channel, "sent_at": now, "lease_until": None},
                   _attempt(channel, now, "sent", receipt=receipt), "notice_sent")


def failed(message: Mapping, channel: str, error: str, temporary: bool, now: datetime, policy: RetryPolicy,
           rng: random.Random | None = None) -> Outcome:
    """A temporary failure is tried again on the same channel after a backoff until the channel
    has had `policy.attempts`; then, or at once for a permanent failure, the next channel is
    tried; with none left the message is parked with the reason."""
    tries = (message.get("failures") or {}).get(channel, 0) + 1
    counted = {f"failures.{channel}": tries, "lease_until": None}
    attempt = _attempt(channel, now, "failed" if temporary else "refused", error)
    if temporary and tries < policy.attempts:
        return Outcome({**counted, "state": "queued", "due_at": now + policy.wait(tries, rng)}, attempt)
    attempt["gave_up"] = True
    channels = list(message.get("channels") or ())
    position = channels.index(channel) + 1 if channel in channels else len(channels)
    if position < len(channels):  # this channel is parked for the message, the next one carries it
        given_up = [*(message.get("given_up") or []), {"channel": channel, "reason": error, "at": now}]
        return Outcome({**counted, "state": "queued", "channel": channels[position], "due_at": now,
                        "given_up": given_up, "fell_back": True}, attempt)
    reason = f"{channel}: {error}" + (f" (after {tries} attempts)" if temporary else "")
    return Outcome({**counted, "state": "parked", "reason": reason, "parked_at": now}, attempt, "notice_failed")


def replayed(message: Mapping, now: datetime) -> dict:
    """A parked message queued again from its first channel (its log kept)."""
    channels = list(message.get("channels") or ())
    return {"state": "queued", "channel": channels[0] if channels else None, "due_at": now, "reason": None,
            "parked_at": None, "replayed_at": now, "lease_until": None, "failures": {}}


def status_of(message: Mapping) -> dict:
    """The delivery log of one message as the status RPC tells it."""
    attempts = list(message.get("attempts") or ())
    return {"state": message["state"], "channel_used": message.get("channel_used"),
            "channels": list(message.get("channels") or ()), "attempts": len(attempts),
            "failed": sum(1 for a in attempts if a["outcome"] != "sent"), "reason": message.get("reason"),
            "given_up": list(message.get("given_up") or ()), "log": attempts}

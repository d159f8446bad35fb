"""Watches: a small document per task a timer must look at, so the timers never read the whole
tasks collection. `claim_watches` (a claim to confirm by `due`), `reminder_watches` (a reminder
may be due from `due`), `owed_cases` (steps owed to the task's case). A step writes its task's
watch as one of its journal follow-ups, with the task's version, so a watch is never lost
beside its step, and a late follow-up never overwrites a later step's watch. A watch is a hint:
the timer reads the task and decides on it, and drops a watch the task no longer needs.
Pure functions."""

from collections.abc import Mapping
from datetime import datetime

from services.volunteers.settings import Settings

CLAIMS = "claim_watches"
REMINDERS = "reminder_watches"
OWED = "owed_cases"
#: reminder kind → (states it is for, how long before the start it is sent: a `Settings` field)
REMINDER_KINDS = {"task_reminder": (("claimed",), "remind_before"), "task_unclaimed": (("open",), "unclaimed_alert")}


def follow_ups(before: Mapping, after: Mapping, now: datetime) -> list[dict]:
    """The watches a step from `before` to `after`, taken at `now`, writes."""
    writes = []
    expiry = after.get("next_expiry")
    if expiry is not None and expiry != before.get("next_expiry"):
        writes.append(_keep(CLAIMS, after, expiry))
    if len(after.get("case_actions") or ()) > len(before.get("case_actions") or ()):
        writes.append(_keep(OWED, after, now))
    return writes


def on_open(task: Mapping, settings: Settings) -> list[dict]:
    """The watch a new task writes: its reminders (a task from a case starts at once: none)."""
    if task.get("kind") == "case" or not task.get("starts_at"):
        return []
    return [_keep(REMINDERS, task, first_reminder(task, settings))]


def _keep(collection: str, task: Mapping, due: datetime) -> dict:
    return {"collection": collection, "_id": task["_id"], "replace": {"due": due}, "version": task["version"]}


def first_reminder(task: Mapping, settings: Settings) -> datetime:
    return task["starts_at"] - max(settings.remind_before, settings.unclaimed_alert)


def reminder_now(task: Mapping, settings: Settings, now: datetime) -> str | None:
    """The reminder to send now, if any: the task's state wants it, its time has come, not sent yet."""
    if task["starts_at"] <= now:
        return None
    for kind, (states, ahead) in REMINDER_KINDS.items():
        if (task["state"] in states and kind not in (task.get("reminders") or ())
                and task["starts_at"] - getattr(settings, ahead) <= now):
            return kind
    return None


def reminder_due(task: Mapping, settings: Settings, now: datetime) -> datetime | None:
    """When the task's watch should be looked at next; None when no reminder can come any more."""
    if task["state"] not in ("open", "claimed") or task["starts_at"] <= now:
        return None
    unsent = [task["starts_at"] - getattr(settings, ahead) for kind, (_, ahead) in REMINDER_KINDS.items()
              if kind not in (task.get("reminders") or ())]
    return min(unsent) if unsent else None

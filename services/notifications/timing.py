"""When a message to a person goes out, and whether it goes alone or inside a digest.

- 特急 (`critical`) goes at once, whatever the hour.
- Outside the person's windows (quiet hours) a message waits for the next window, where every
  message waiting for it goes out as one digest (count and list).
- Inside a window the first message goes at once; one that follows a sent message within the
  look-back joins the digest sent when the look-back ends (so a burst is one message, not ten).

A digest is keyed by the person and the moment it goes out: every message that lands on the
same moment joins the same digest."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notifications.windows import Schedule
from shared.ids import derived_id

CRITICAL = "critical"
URGENCIES = {"normal": "一般", "urgent": "紧急", "critical": "特急"}


@dataclass(frozen=True)
class Timing:
    due_at: datetime
    digest_at: datetime | None = None  # None: sent alone

    def digest_key(self, person_id: str) -> str | None:
        return derived_id("dig", person_id, self.digest_at.isoformat()) if self.digest_at else None


def timing(urgency: str, now: datetime, schedule: Schedule, last_sent_at: datetime | None,
           lookback: timedelta) -> Timing:
    if urgency == CRITICAL:
        return Timing(now)
    opens = schedule.next_open(now)
    if opens > now:
        return Timing(opens, opens)
    if last_sent_at is not None and now - last_sent_at < lookback:
        slot = schedule.next_open(last_sent_at + lookback)
        return Timing(slot, slot)
    return Timing(now)

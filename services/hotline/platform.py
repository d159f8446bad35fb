"""What a hotline platform adapter is: a plugin of the entry-point group `linli.hotline_platforms`
that speaks one city's 12345 work-order platform.

An adapter class has:
- `name`: its entry-point name, used in config (`PLATFORMS.<platform>.adapter`);
- `pulls`: True when `fetch` asks the platform for what changed (an API); False for a platform
  whose tickets arrive as uploaded exports (`read_upload`);
- `__init__(platform, settings)`: the platform's key in config and its settings there
  (`PLATFORMS.<platform>`), checked at once (`PlatformMisconfigured` naming the key);
- `fetch(cursor, limit) -> Page`: the records changed since `cursor` (None: from the start), at
  most `limit`, oldest first, and the cursor to ask from next time. Pages may overlap and repeat
  records: the sync drops what it has seen;
- `read_upload(content) -> Page` (uploading adapters): the records of an exported workbook;
- `sign(call)`, `return_ticket(call)`, `extend(call)`, `reply(call)`: one outbound call each
  (`Call` below), answering a dict (`extend` answers `{"granted": bool, "deadline": iso or
  None}`). An adapter whose platform has no API for them raises `ManualEntry`: the call is then
  listed for a clerk to enter by hand;
- `tickets(since) -> list[dict]`: what the platform holds of the tickets it sent since `since`
  (a datetime, or None for all), for the reconciliation report: `{"ticket_no", "state"
  (received/signed/returned/replied/closed/reworking), "revision", "deadline", "replies" (how
  many replies it took)}`; an adapter that cannot tell raises `ManualEntry`.

Each method raises `PlatformDown` (try again later: timeouts, refused connections, HTTP 5xx and
429, a maintenance answer) or `PlatformRefused` (the platform will not take it: an unknown
ticket, a return past its window, HTTP 4xx), nothing else on purpose.

A record is a plain dict, the adapter's translation of the platform's own format; the sync checks
it (`schemas.Record`) and parks what does not pass, record by record:
- `{"kind": "ticket", "ticket_no", "revision" (int, grows with each change of the ticket),
  "received_at" (ISO 8601 with offset), "request_type" (咨询/求助/投诉/举报/建议), "urgency"
  (一般/紧急/特急), "citizen": {"name", "phone"}, "content", "address", "category" (the
  platform's own words), "area_code" (the platform's code for the community it sends to),
  "deadline" (ISO 8601 or None)}`;
- `{"kind": "unreadable", "raw": <the platform's item>, "reason"}`: an item the adapter could
  not translate (it never lets one item stop the page); the sync parks it;
- `{"kind": "survey", "update_id", "ticket_no", "at", "satisfied" (bool), "resolved" (bool),
  "comment"}`: the hotline's follow-up call (回访);
- `{"kind": "rework", "update_id", "ticket_no", "at", "reason"}`: a rework order (重办).

Every outbound call carries `call.key`, the same on every try of that call, for the platform to
drop a repeat where it can (the JSON platform protocol sends it as `Idempotency-Key`)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class PlatformDown(Exception):
    """The platform did not answer, or answered "later": the call is tried again with backoff."""


class PlatformRefused(Exception):
    """The platform answered no: the call is parked with this reason."""


class ManualEntry(Exception):
    """The platform has no API for this call: a clerk enters it by hand."""


class PlatformMisconfigured(ValueError):
    def __init__(self, platform: str, key: str, reason: str):
        super().__init__(f"PLATFORMS.{platform}.{key}: {reason}")
        self.field = f"PLATFORMS.{platform}.{key}"


@dataclass(frozen=True)
class Page:
    records: list[dict]
    cursor: str | None  # what to pass to the next `fetch`
    more: bool = False  # the platform has more right away


@dataclass(frozen=True)
class Call:
    key: str  # the same on every try of this call
    ticket_no: str
    at: datetime  # when the community did it (signed, replied, asked)
    reason: str | None = None  # return, extension
    result: str | None = None  # reply: what was done
    working_days: int | None = None  # extension
    extra: dict[str, Any] = field(default_factory=dict)


class Platform(Protocol):
    name: str
    pulls: bool

    def fetch(self, cursor: str | None, limit: int) -> Page: ...

    def sign(self, call: Call) -> dict: ...

    def return_ticket(self, call: Call) -> dict: ...

    def extend(self, call: Call) -> dict: ...

    def reply(self, call: Call) -> dict: ...

    def tickets(self, since: datetime | None) -> list[dict]: ...


def setting(settings: dict, platform: str, key: str, default=None, required: bool = False):
    value = settings.get(key, default)
    if required and not value:
        raise PlatformMisconfigured(platform, key, "is required")
    return value

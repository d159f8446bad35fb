"""A ticket on the simulated platform and its rules: 签收 sign, 退单 return (within a window
after signing), 延期 extension (once, before the deadline), 办结回复 reply (after signing),
回访 survey (a satisfied one closes a replied ticket) and 重办 rework. Times are taken from the
bodies (`signed_at`, `returned_at`, `asked_at`, …), else the clock. No locking here: the platform
state holds its lock around every call."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.hotline.simulator.generator import CHINA, add_working_days

COUNTED = ("signs", "replies", "returns", "extensions", "extensions_granted", "repeats", "surveys", "reworks")
TIMES = ("signed_at", "replied_at", "returned_at")


class Refusal(Exception):
    """What the platform answers instead: an HTTP status and the message of `{"error"}`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def moment_of(body: dict, name: str) -> datetime:
    """The time the body gives (without an offset: China time), else now."""
    value = body.get(name)
    if value is None:
        return datetime.now(CHINA)
    try:
        found = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise Refusal(400, f"{name}: expected an ISO 8601 time, got {value!r}") from None
    return found if found.tzinfo else found.replace(tzinfo=CHINA)


def text_of(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refusal(400, f"{name}: required text")
    return value


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass
class Ticket:
    revisions: list[dict]  # each revision's item as the feed lists it
    deadline: str | None
    state: str = "received"
    counts: Counter = field(default_factory=Counter)  # what was applied: signs, replies, …
    times: dict[str, datetime] = field(default_factory=dict)

    def shown(self) -> dict:
        return {"state": self.state, "revision": len(self.revisions), "deadline": self.deadline,
                **{name: self.counts[name] for name in COUNTED}, **{name: iso(self.times.get(name)) for name in TIMES}}

    def received_at(self) -> datetime | None:
        try:
            return moment_of(self.revisions[0], "received_at")
        except Refusal:
            return None

    def sign(self, body: dict) -> dict:
        at = moment_of(body, "signed_at")
        if self.state in ("returned", "closed"):
            raise Refusal(409, f"the ticket is {self.state}")
        self.counts["signs"] += 1
        self.times.setdefault("signed_at", at)
        if self.state == "received":
            self.state = "signed"
        return {"state": self.state, "signed_at": iso(self.times["signed_at"])}

    def return_(self, body: dict, window_hours: float) -> dict:
        text_of(body, "reason")
        at = moment_of(body, "returned_at")
        if self.state != "signed":
            raise Refusal(409, "the ticket is not signed" if self.state == "received" else
                          f"the ticket is {self.state}: it can no longer be returned")
        if at > self.times["signed_at"] + timedelta(hours=window_hours):
            raise Refusal(409, f"the return window ({window_hours:g} h after signing) has passed")
        self.counts["returns"] += 1
        self.state, self.times["returned_at"] = "returned", at
        return {"state": self.state, "returned_at": iso(at)}

    def extend(self, body: dict, max_days: int) -> dict:
        days, at = body.get("working_days"), moment_of(body, "asked_at")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise Refusal(400, "working_days: expected a whole number ≥ 1")
        text_of(body, "reason")
        if self.state not in ("signed", "reworking"):
            raise Refusal(409, f"the ticket is {self.state}: only a ticket in hand can be extended")
        self.counts["extensions"] += 1
        denial = self._denial(days, at, max_days)
        if denial:
            return {"granted": False, "deadline": self.deadline, "reason": denial}
        self.counts["extensions_granted"] += 1
        self.deadline = add_working_days(moment_of({"d": self.deadline}, "d"), days).isoformat()
        return {"granted": True, "deadline": self.deadline}

    def _denial(self, days: int, at: datetime, max_days: int) -> str | None:
        if self.counts["extensions_granted"]:
            return "an extension was already granted for this ticket"
        if days > max_days:
            return f"at most {max_days} working days"
        try:
            deadline = moment_of({"d": self.deadline}, "d") if self.deadline else None
        except Refusal:
            deadline = None
        if deadline is None:
            return "the ticket has no deadline to extend"
        return "asked after the deadline" if at >= deadline else None

    def reply(self, body: dict) -> dict:
        text_of(body, "result")
        at = moment_of(body, "replied_at")
        if self.state in ("received", "returned", "closed"):
            raise Refusal(409, "the ticket is not signed" if self.state == "received" else
                          f"the ticket is {self.state}")
        self.counts["replies"] += 1
        self.state, self.times["replied_at"] = "replied", at
        return {"state": self.state, "replied_at": iso(at)}

    def survey(self, satisfied: bool) -> None:
        if self.state not in ("replied", "closed"):
            raise Refusal(409, f"the ticket is {self.state}: 回访 follows a reply")
        self.counts["surveys"] += 1
        if satisfied:
            self.state = "closed"

    def rework(self) -> None:
        if self.state not in ("replied", "closed"):
            raise Refusal(409, f"the ticket is {self.state}: only a replied ticket can be sent back (重办)")
        self.counts["reworks"] += 1
        self.state = "reworking"

"""The simulated 12345 platform in memory: its tickets, the change log the feed reads, the answer
kept per Idempotency-Key, the behaviour switches and the counters the control API shows. One
lock guards it all: every public method takes it. `version` grows with every change worth keeping;
`to_json`/`from_json` give and take that state for a restart (services/hotline/simulator/persistence.py)."""

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from services.hotline.simulator import feed
from services.hotline.simulator.generator import CHINA, generate
from services.hotline.simulator.tickets import COUNTED, Refusal, Ticket, moment_of, text_of

HIDDEN_FIELDS = ("type", "ticket_no", "revision")  # set by the platform, not by who adds a ticket
STATE_FORMAT = 1  # of to_json's answer


@dataclass(frozen=True)
class Behaviour:
    delay_ms: float = 0
    duplicates: bool = False
    reorder: bool = False
    error_rate: float = 0.0
    return_window_hours: float = 48
    max_extension_days: int = 10

    def updated(self, changes: object) -> "Behaviour":
        if not isinstance(changes, dict):
            raise Refusal(400, "expected a JSON object of switches")
        kinds = {one.name: one.type for one in fields(self)}
        unknown = sorted(set(changes) - set(kinds))
        if unknown:
            raise Refusal(400, f"unknown switches {unknown}; known: {sorted(kinds)}")
        return Behaviour(**{**asdict(self), **{name: checked(name, value, kinds[name])
                                               for name, value in changes.items()}})


def checked(name: str, value: object, kind: type) -> object:
    if kind is bool:
        if not isinstance(value, bool):
            raise Refusal(400, f"{name}: expected true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Refusal(400, f"{name}: expected a number ≥ 0")
    if name == "error_rate" and value > 1:
        raise Refusal(400, "error_rate: expected a fraction from 0 to 1")
    if kind is int and (value != int(value) or value < 1):
        raise Refusal(400, f"{name}: expected a whole number ≥ 1")
    return int(value) if kind is int else value


class PlatformState:
    def __init__(self, defaults: Behaviour | None = None, seed: int = 1):
        self.lock = threading.Lock()
        self.defaults, self.seed = defaults or Behaviour(), seed
        self.version = 0  # changes made: tickets, log, keys, behaviour (not the counters nor an outage)
        self.reset()

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """The lock, for a change: the version grows unless the change was refused."""
        with self.lock:
            yield
            self.version += 1

    def reset(self) -> None:
        with self._changing():
            self.tickets: dict[str, Ticket] = {}
            self.log: list = []  # the change log: what the feed lists, in order
            self.kept: dict[str, tuple[str, str, dict]] = {}  # Idempotency-Key → (action, ticket_no, answer)
            self.behaviour = self.defaults
            self.rng = random.Random(self.seed)
            self.outage_until, self.outage_mode = 0.0, "error"
            self.requests: Counter = Counter()
            self.calls_during_outage = self.errors_injected = 0

    # The API side

    def admit(self, endpoint: str) -> tuple[str | None, float, bool]:
        """Count an API call; answer the outage's mode if one is on, the delay, and whether to fail it."""
        with self.lock:
            self.requests[endpoint] += 1
            if time.monotonic() < self.outage_until:
                self.calls_during_outage += 1
                return self.outage_mode, 0.0, False
            fail = self.rng.random() < self.behaviour.error_rate
            self.errors_injected += fail
            return None, self.behaviour.delay_ms / 1000, fail

    def changes(self, cursor: str | None, limit: int) -> dict:
        with self.lock:
            try:
                position = feed.decode(cursor, len(self.log))
            except feed.BadCursor as error:
                raise Refusal(400, str(error)) from None
            return feed.page(self.log, position, limit, duplicates=self.behaviour.duplicates,
                             reorder=self.behaviour.reorder, rng=self.rng, earlier=self._earlier)

    def _earlier(self, item: object) -> dict | None:
        if not isinstance(item, dict) or item.get("type") != "ticket" or not isinstance(item.get("ticket_no"), str):
            return None
        ticket, revision = self.tickets.get(item["ticket_no"]), item.get("revision")
        if ticket is None or not isinstance(revision, int) or not 1 < revision <= len(ticket.revisions):
            return None
        return ticket.revisions[revision - 2]

    def listing(self, since: datetime | None) -> dict:
        with self.lock:
            return {"tickets": [
                {"ticket_no": number, "state": ticket.state, "revision": len(ticket.revisions),
                 "deadline": ticket.deadline, "replies": ticket.counts["replies"]}
                for number, ticket in self.tickets.items() if sent_since(ticket, since)]}

    def act(self, action: str, ticket_no: str, body: object, key: str) -> dict:
        """Apply a call once per key: a repeat is answered with the first answer. A refusal is
        not kept, so the call can be made again once its cause is gone."""
        if not isinstance(body, dict):
            raise Refusal(400, "expected a JSON object")
        with self._changing():
            if key in self.kept:
                first_action, first_ticket, answer = self.kept[key]
                if (first_action, first_ticket) != (action, ticket_no):
                    raise Refusal(422, f"Idempotency-Key {key!r} was used for {first_action} of {first_ticket}")
                self.tickets[ticket_no].counts["repeats"] += 1
                return answer
            if ticket_no not in self.tickets:
                raise Refusal(404, f"no ticket {ticket_no}")
            answer = {"ticket_no": ticket_no, **self._apply(self.tickets[ticket_no], action, body)}
            self.kept[key] = (action, ticket_no, answer)
            return answer

    def _apply(self, ticket: Ticket, action: str, body: dict) -> dict:
        match action:
            case "sign":
                return ticket.sign(body)
            case "return":
                return ticket.return_(body, self.behaviour.return_window_hours)
            case "extension":
                return ticket.extend(body, self.behaviour.max_extension_days)
            case "reply":
                return ticket.reply(body)
        raise Refusal(404, f"no such call: {action}")

    # The control side

    def add_tickets(self, items: object) -> dict:
        """Add tickets, or amend those already there (a new revision with the fields given)."""
        if not isinstance(items, list) or not all(isinstance(one, dict) and isinstance(one.get("ticket_no"), str)
                                                  and one["ticket_no"].strip() for one in items):
            raise Refusal(400, "tickets: expected a list of objects, each with a ticket_no")
        with self._changing():
            return {"tickets": [self._add(item) for item in items]}

    def _add(self, item: dict) -> dict:
        number, given = item["ticket_no"], {k: v for k, v in item.items() if k not in HIDDEN_FIELDS}
        ticket = self.tickets.get(number)
        if ticket is None:
            given.setdefault("received_at", datetime.now(CHINA).isoformat(timespec="seconds"))
            ticket = self.tickets[number] = Ticket([], given.get("deadline"))
        else:
            given = {**{k: v for k, v in ticket.revisions[-1].items() if k not in HIDDEN_FIELDS}, **given}
            ticket.deadline = given.get("deadline") if "deadline" in item else ticket.deadline
        revision = {"type": "ticket", "ticket_no": number, "revision": len(ticket.revisions) + 1, **given}
        ticket.revisions.append(revision)
        self.log.append(revision)
        return {"ticket_no": number, "revision": revision["revision"]}

    def generate(self, body: dict) -> dict:
        count, seed = body.get("count", 100), body.get("seed", 1)
        area_code = body.get("area_code", "JY")
        prefix = body.get("prefix", area_code)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100_000:
            raise Refusal(400, "count: expected a whole number from 1 to 100000")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise Refusal(400, "seed: expected a whole number")
        if not isinstance(area_code, str) or not isinstance(prefix, str):
            raise Refusal(400, "area_code, prefix: expected text")
        received_at = moment_of(body, "received_at") if body.get("received_at") else None
        with self._changing():
            made = generate(count, seed, area_code, prefix, received_at, self.tickets)
            return {"tickets": [self._add(ticket)["ticket_no"] for ticket in made]}

    def behave(self, changes: object) -> dict:
        with self._changing():
            self.behaviour = self.behaviour.updated(changes)
            return asdict(self.behaviour)

    def outage(self, body: dict) -> dict:
        seconds, mode = body.get("seconds"), body.get("mode", "error")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise Refusal(400, "seconds: expected a number ≥ 0 (0 ends the outage)")
        if mode not in ("error", "refuse"):
            raise Refusal(400, "mode: expected error (503) or refuse (connections closed)")
        with self.lock:
            self.outage_until, self.outage_mode = time.monotonic() + seconds, mode
            return {"seconds": seconds, "mode": mode}

    def survey(self, ticket_no: str, body: dict) -> dict:
        satisfied, resolved, comment = body.get("satisfied"), body.get("resolved"), body.get("comment", "")
        if not isinstance(satisfied, bool) or not isinstance(resolved, bool) or not isinstance(comment, str):
            raise Refusal(400, "satisfied, resolved: expected true or false; comment: text")
        with self._changing():
            ticket = self._ticket(ticket_no)
            ticket.survey(satisfied)
            return self._append_update(ticket, "survey", {"satisfied": satisfied, "resolved": resolved,
                                                          "comment": comment}, body)

    def rework(self, ticket_no: str, body: dict) -> dict:
        reason = text_of(body, "reason")
        with self._changing():
            ticket = self._ticket(ticket_no)
            ticket.rework()
            return self._append_update(ticket, "rework", {"reason": reason}, body)

    def _append_update(self, ticket: Ticket, kind: str, fields_: dict, body: dict) -> dict:
        number = ticket.revisions[0]["ticket_no"]
        suffix = "HF" if kind == "survey" else "CB"
        item = {"type": kind, "update_id": f"{number}-{suffix}{ticket.counts[kind + 's']}", "ticket_no": number,
                "at": moment_of(body, "at").isoformat(timespec="seconds"), **fields_}
        self.log.append(item)
        return item

    def _ticket(self, ticket_no: str) -> Ticket:
        if ticket_no not in self.tickets:
            raise Refusal(404, f"no ticket {ticket_no}")
        return self.tickets[ticket_no]

    def append_raw(self, body: dict) -> dict:
        if "item" not in body:
            raise Refusal(400, "item: required (any JSON, appended to the change log as it is)")
        with self._changing():
            self.log.append(body["item"])
            return {"position": len(self.log)}

    def snapshot(self) -> dict:
        with self.lock:
            tickets = {number: ticket.shown() for number, ticket in self.tickets.items()}
            totals = {name: sum(shown[name] for shown in tickets.values()) for name in COUNTED}
            return {"tickets": tickets,
                    "totals": {"tickets": len(tickets), "changes": len(self.log), **totals,
                               "errors_injected": self.errors_injected},
                    "requests": dict(self.requests), "calls_during_outage": self.calls_during_outage,
                    "behaviour": asdict(self.behaviour),
                    "outage": {"seconds_left": round(max(0.0, self.outage_until - time.monotonic()), 3),
                               "mode": self.outage_mode}}

    def is_empty(self) -> bool:
        with self.lock:
            return not self.tickets and not self.log

    # A restart's state

    def to_json(self) -> dict:
        """The tickets (revisions as positions in the change log), the log, the kept answers and the
        behaviour, as JSON values; not the counters of requests nor an outage. The items listed are
        shared, never changed once logged."""
        with self.lock:
            position = {id(item): index for index, item in enumerate(self.log)}
            return {"format": STATE_FORMAT, "log": list(self.log),
                    "tickets": {number: {"revisions": [position[id(one)] for one in ticket.revisions],
                                         "deadline": ticket.deadline, "state": ticket.state,
                                         "counts": dict(ticket.counts), "times": {
                                             name: moment.isoformat() for name, moment in ticket.times.items()}}
                                for number, ticket in self.tickets.items()},
                    "kept": {key: list(kept) for key, kept in self.kept.items()},
                    "behaviour": asdict(self.behaviour)}

    def from_json(self, saved: dict) -> None:
        """Take the state `to_json` gave. A malformed one raises (ValueError, LookupError,
        TypeError, Refusal …) and leaves this state as it was."""
        if saved.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown format {saved.get('format')!r} (expected {STATE_FORMAT})")
        log = list(saved["log"])
        tickets = {number: Ticket([log[index] for index in one["revisions"]], one["deadline"], one["state"],
                                  Counter(one["counts"]),
                                  {name: datetime.fromisoformat(value) for name, value in one["times"].items()})
                   for number, one in saved["tickets"].items()}
        kept = {key: (action, ticket_no, answer) for key, (action, ticket_no, answer) in saved["kept"].items()}
        behaviour = Behaviour().updated(saved["behaviour"])
        with self._changing():
            self.tickets, self.log, self.kept, self.behaviour = tickets, log, kept, behaviour


def sent_since(ticket: Ticket, since: datetime | None) -> bool:
    if since is None:
        return True
    received = ticket.received_at()
    return received is not None and received >= since

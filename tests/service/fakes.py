"""Hand-written fakes of what the cases service layer talks to: the store (its collections and
its journal), rosters, the caller, and a clock that moves only when told. Plain Python, no
broker, no database: a service-layer test runs in milliseconds."""

import contextlib
import copy
import itertools
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from kombu.utils import json as wire_json

from services.cases import counting
from services.cases.exceptions import CaseChanged, CaseNotFound, MeetingNotFound
from services.cases.roster import place_for_a_case
from shared.actor import Actor
from shared.errors import field_error
from shared.requests import logged_answer
from tests.fakes.clock import Clock  # noqa: F401 - part of the fakes this module offers
from tests.fakes.mongo import apply_update


class FakeCases:
    """Case documents by `_id`; `search` understands the queries `CaseReader.search` builds."""

    def __init__(self):
        self.docs: dict[str, dict] = {}

    def get(self, case_id: str, field: str = "case_id") -> dict:
        doc = self.find(case_id)
        if doc is None:
            raise CaseNotFound(f"no case {case_id}", [{"field": field, "reason": "not found"}])
        return doc

    def find(self, case_id: str) -> dict | None:
        return copy.deepcopy(self.docs.get(case_id))

    def search(self, query: Mapping, offset: int, limit: int) -> tuple[int, list[dict]]:
        found = sorted((d for d in self.docs.values() if matches(d, query)), key=lambda d: d["_id"])
        found.sort(key=lambda d: d["reported_at"], reverse=True)
        return len(found), copy.deepcopy(found[offset:offset + limit])


class FakeWatches:
    """Deadline watches by case id, as the journal's finisher leaves them."""

    def __init__(self):
        self.docs: dict[str, dict] = {}

    def due(self, now: datetime) -> list[dict]:
        return [copy.deepcopy(w) for w in self.docs.values() if w["next_check"] <= now]


class FakeCounters:
    """Counter documents `<node>:<day|month>` holding `c.<category>.<metric>`."""

    def __init__(self):
        self.docs: dict[str, dict] = {}

    def parts(self, counter_ids) -> list[dict]:
        return [copy.deepcopy(self.docs[i].get("c") or {}) for i in counter_ids if i in self.docs]

    def add(self, counter_id: str, increments: Mapping[str, int]) -> None:
        doc = self.docs.setdefault(counter_id, {"_id": counter_id})
        for path, amount in increments.items():
            *parents, last = path.split(".")
            target = doc
            for part in parents:
                target = target.setdefault(part, {})
            target[last] = target.get(last, 0) + amount


class FakeMeetings:
    """Meetings by id; `update` sets dotted paths only while `when` matches."""

    def __init__(self):
        self.docs: dict[str, dict] = {}

    def get(self, meeting_id: str) -> dict:
        doc = self.find(meeting_id)
        if doc is None:
            raise MeetingNotFound(f"no meeting {meeting_id}", [{"field": "meeting_id", "reason": "not found"}])
        return doc

    def find(self, meeting_id: str) -> dict | None:
        return copy.deepcopy(self.docs.get(meeting_id))

    def insert_new(self, doc: dict) -> dict:
        self.docs.setdefault(doc["_id"], copy.deepcopy(doc))
        return self.get(doc["_id"])

    def update(self, meeting_id: str, change: Mapping, when: Mapping | None = None) -> dict | None:
        doc = self.docs.get(meeting_id)
        if doc is None:
            return None if when else self.get(meeting_id)
        if any(value_at(doc, path) != value for path, value in (when or {}).items()):
            return None
        for path, value in change.items():
            *parents, last = path.split(".")
            target = doc
            for part in parents:
                target = target[int(part)] if isinstance(target, list) else target[part]
            target[last] = copy.deepcopy(value)
        return self.get(meeting_id)


class FakeRequestLog:
    """The first answer to each request, kept as the JSON text the broker would carry."""

    def __init__(self):
        self.answers: dict[str, dict] = {}

    def recall(self, key: str, asked: str) -> Any | None:
        doc = self.answers.get(key)
        return None if doc is None else self._answer(doc, asked)

    def remember(self, key: str, asked: str, answer: Any) -> Any:
        if key in self.answers:
            return self._answer(self.answers[key], asked)
        self.answers[key] = {"fingerprint": asked, "answer": wire_json.dumps(answer)}
        return answer

    def expire(self, now: datetime, every: timedelta = timedelta(hours=1)) -> int:
        return 0

    @staticmethod
    def _answer(doc: Mapping, asked: str) -> Any:
        return logged_answer(doc, asked)


class FakePiiReads:
    def __init__(self):
        self.reads: list[dict] = []

    def record(self, actor: Mapping, rpc: str, subject_ids: list[str]) -> None:
        if subject_ids:
            self.reads.append({"actor": dict(actor), "rpc": rpc, "subjects": list(subject_ids)})


class FakeJournal:
    """Commits each step at once: a new case inserted (`create`), or a later step's update
    applied (`$set` and the timeline entry `$push`ed). The step's key
    (`<collection>:<doc_id>:<version>`) claims the version, so a second writer at that version
    gets `CaseChanged`. Events go to `published`; counts and the follow-ups (the deadline
    watch) follow at once, or on `finish()` while `finishing_later` (as the real finisher lags
    the answer).

    `rival`, when set, runs once just before the next commit, as another writer who got there
    first; `refuse(n)` makes the next n commits lose to writers nobody sees."""

    def __init__(self, store: "FakeCasesStore"):
        self.store = store
        self.steps: dict[str, dict] = {}
        self.published: list[dict] = []
        self.unfinished: list[dict] = []
        self.finishing_later = False
        self.rival: Callable[[], Any] | None = None
        self.refusals = 0
        self.ids = itertools.count(1)

    def new_id(self) -> str:
        return f"case_fake{next(self.ids):08x}"

    def refuse(self, commits: int) -> None:
        self.refusals = commits

    def commit(self, step: dict) -> None:
        if self.rival is not None:
            rival, self.rival = self.rival, None
            rival()
        cases, case_id = self.store.cases.docs, step["doc_id"]
        key = f"{step['collection']}:{case_id}:{step['version']}"
        if self.refusals or key in self.steps or (step["version"] == 1 and case_id in cases):
            self.refusals = max(self.refusals - 1, 0)
            raise CaseChanged(f"case {case_id} changed meanwhile",
                              [{"field": "case_id", "reason": "changed meanwhile; reload and retry"}])
        step = copy.deepcopy(step)
        self.steps[key] = step
        if "create" in step:
            cases[case_id] = {**step["create"], "_id": case_id, "version": step["version"]}
        else:
            apply_update(cases[case_id], {**step["update"], "$set": {**step["update"].get("$set", {}),
                                                                      "version": step["version"]}})
        self.published.extend(step["events"])
        self.unfinished.append(step)
        if not self.finishing_later:
            self.finish()

    def finish(self) -> None:
        """What the finisher does once a step's events are out: counts added, watch set."""
        for step in self.unfinished:
            for counter_id, increments in counting.expand(step["counts"]).items():
                self.store.counters.add(counter_id, increments)
            for write in step["follow"]:
                assert write["collection"] == "deadline_watches", write
                if write.get("delete"):
                    self.store.watches.docs.pop(write["_id"], None)
                else:
                    self.store.watches.docs[write["_id"]] = copy.deepcopy(write["replace"])
        self.unfinished = []

    def settle(self, timeout: float = 2.0) -> None:
        self.finish()

    def events(self, event_type: str) -> list[dict]:
        return [e for e in self.published if e["type"] == event_type]


class FakeCasesStore:
    """What `CasesStore` gives the commands, one attribute per collection, and the journal."""

    def __init__(self):
        self.cases = FakeCases()
        self.meetings = FakeMeetings()
        self.watches = FakeWatches()
        self.counters = FakeCounters()
        self.requests = FakeRequestLog()
        self.pii_reads = FakePiiReads()
        self.journal = FakeJournal(self)

    def snapshot(self) -> str:
        """Everything kept, as text: equal before and after a call that changed nothing."""
        kept = {"cases": self.cases.docs, "meetings": self.meetings.docs, "watches": self.watches.docs,
                "counters": self.counters.docs, "requests": self.requests.answers, "pii_reads": self.pii_reads.reads,
                "steps": self.journal.steps, "published": self.journal.published}
        return wire_json.dumps(kept, sort_keys=True, default=str)


class FakeRoster:
    """Units and responsible chains as rosters would answer them."""

    def __init__(self, units: Mapping[str, dict], chains: Mapping[str, list[dict]]):
        self.units = dict(units)
        self.chains = dict(chains)
        self.chains_asked = 0

    def node(self, unit_id: str, field: str = "unit_id") -> dict:
        if unit_id not in self.units:
            raise field_error(field, "no such unit in the roster")
        return copy.deepcopy(self.units[unit_id])

    def unit(self, unit_id: str, field: str = "unit_id") -> dict:
        return place_for_a_case(self.node(unit_id, field), field)

    def chain(self, unit_id: str) -> list[dict]:
        self.chains_asked += 1
        return copy.deepcopy(self.chains[unit_id])


class FakeActorAccess:
    """A worker's view of its caller, as `shared.actor.ActorAccess` gives it."""

    def __init__(self, actor: Actor):
        self.actor = actor
        self.acted_as: list[Actor] = []

    def __call__(self) -> Actor:
        return self.actor

    def become_service(self, service_name: str) -> Actor:
        self.actor = Actor(service_name, "system")
        return self.actor

    @contextlib.contextmanager
    def acting_as(self, actor: Actor, lifetime: float = 300):
        """Calls made inside the block carry `actor`: recorded in `acted_as`, the caller back after."""
        self.acted_as.append(actor)
        yield actor


def value_at(doc: Any, path: str) -> Any:
    """The value at a dotted path (`cost_split.shares.0.paid`), None where there is none."""
    for part in path.split("."):
        if isinstance(doc, list):
            doc = doc[int(part)] if part.isdigit() and int(part) < len(doc) else None
        elif isinstance(doc, Mapping):
            doc = doc.get(part)
        else:
            return None
    return doc


def matches(doc: Mapping, query: Mapping) -> bool:
    """Whether a document matches a query of the few forms the cases service sends."""
    for key, condition in query.items():
        if key == "$and":
            if not all(matches(doc, part) for part in condition):
                return False
        elif not _holds(value_at(doc, key), condition):
            return False
    return True


def _holds(value: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and condition and all(k.startswith("$") for k in condition):
        return all(_OPERATORS[op](value, argument) for op, argument in condition.items())
    return condition in value if isinstance(value, list) else value == condition


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$in": lambda value, argument: value in argument,
    "$gte": lambda value, argument: value is not None and value >= argument,
    "$lte": lambda value, argument: value is not None and value <= argument,
    "$exists": lambda value, argument: (value is not None) == bool(argument),
}

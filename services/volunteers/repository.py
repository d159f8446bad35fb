"""Volunteers' storage: one class per collection, reads by `_id` or by a few indexed fields.

Tasks and hours records cause events, so their writes go through the journal
(`shared.journal`) at the document's next version: of two writers at one version exactly one
wins (`ChangedMeanwhile` for the other, which decides again on the document as it is now)."""

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.volunteers import watching
from services.volunteers.exceptions import (
    ChangedMeanwhile,
    HoursNotFound,
    MemberNotFound,
    TaskNotFound,
    TeamNotFound,
)
from services.volunteers.turns import Turns
from shared.audit import PiiReads
from shared.clock import utcnow
from shared.errors import NotFound
from shared.journal import Journal
from shared.requests import RequestLog
from shared.ttlcache import TTLCache
from shared.writes import insert_or_get


class Collection_:
    missing: type[NotFound] = NotFound
    label = "document"

    def __init__(self, collection: Collection):
        self.coll = collection

    def get(self, doc_id: str, field: str | None = None) -> dict:
        doc = self.coll.find_one({"_id": doc_id})
        if doc is None:
            raise self.missing(f"no {self.label} {doc_id}", [{"field": field or f"{self.label}_id",
                                                               "reason": "not found"}])
        return doc

    def find(self, doc_id: str) -> dict | None:
        return self.coll.find_one({"_id": doc_id})

    def listed(self, query: Mapping, sort: list[tuple[str, int]], limit: int, offset: int) -> tuple[int, list[dict]]:
        total = self.coll.count_documents(dict(query))
        return total, list(self.coll.find(dict(query)).sort(sort).skip(offset).limit(limit))


class Teams(Collection_):
    """Teams never change once made: each process keeps the ones it read."""

    missing, label = TeamNotFound, "team"

    def __init__(self, collection: Collection):
        super().__init__(collection)
        self.known = TTLCache(3600, 10_000)

    def get(self, doc_id: str, field: str | None = None) -> dict:
        team = self.known.get(doc_id)
        if team is None:
            team = super().get(doc_id, field)
            self.known.put(doc_id, team)
        return team

    def insert_new(self, doc: dict) -> tuple[dict, bool]:
        return insert_or_get(self.coll, doc)

    def ensure_indexes(self) -> None:
        self.coll.create_index([("lineage", ASCENDING)])


class Members(Collection_):
    """One membership per person and team (`_id` derived from both)."""

    missing, label = MemberNotFound, "member"

    def insert_new(self, doc: dict) -> tuple[dict, bool]:
        return insert_or_get(self.coll, doc)

    def update(self, member_id: str, change: Mapping[str, Any], entry: Mapping, when: Mapping) -> dict | None:
        """A compare-and-set: written only while the member still matches `when`; None otherwise."""
        written = self.coll.update_one({"_id": member_id, **when},
                                       {"$set": {**change, "updated_at": utcnow()}, "$push": {"history": entry}})
        return self.coll.find_one({"_id": member_id}) if written.matched_count else None

    def ensure_indexes(self) -> None:
        for key in ("team_id", "person_id"):
            self.coll.create_index([(key, ASCENDING)])


class Versioned(Collection_):
    """A collection written through the journal, one version at a time."""

    def __init__(self, collection: Collection, journal: Journal):
        super().__init__(collection)
        self.journal = journal

    def create(self, doc: dict, events: list[dict], follow: list[dict] = ()) -> dict:
        """Write a new document at version 1; `ChangedMeanwhile` when its id exists already."""
        doc = {**doc, "version": 1}
        self.journal.commit({"collection": self.coll.name, "doc_id": doc["_id"], "version": 1, "create": doc,
                             "events": list(events), "follow": list(follow)})
        return doc

    def advance(self, doc: Mapping, set_: Mapping[str, Any], push: Mapping[str, list], events: list[dict],
                follow: list[dict] = ()) -> None:
        """Write the next version of `doc` as read (and, once published, the `follow` writes);
        `ChangedMeanwhile` when another writer took the version."""
        update: dict = {"$set": {**set_, "updated_at": utcnow()}}
        pushes = {key: {"$each": list(items)} for key, items in push.items() if items}
        if pushes:
            update["$push"] = pushes
        self.journal.commit({"collection": self.coll.name, "doc_id": doc["_id"], "version": doc["version"] + 1,
                             "update": update, "events": list(events), "follow": list(follow)})


class Tasks(Versioned):
    missing, label = TaskNotFound, "task"

    def mark_case_action(self, task_id: str, index: int, outcome: Mapping[str, Any], pending: bool) -> None:
        """Record how one owed case action went (no new version: the journal never sets these paths)."""
        self.coll.update_one({"_id": task_id}, {"$set": {**{f"case_actions.{index}.{k}": v for k, v in outcome.items()},
                                                        "case_pending": pending}})

    def ensure_indexes(self) -> None:
        for key in ("team_id", "lineage", "state", "case_id", "starts_at"):
            self.coll.create_index([(key, ASCENDING)])


class Watches:
    """One small document per task a timer must look at (see `watching`), `due` the moment to."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def due(self, now: datetime, limit: int = 1000) -> list[dict]:
        return list(self.coll.find({"due": {"$lte": now}}).limit(limit))

    def keep(self, task_id: str, due: datetime, version: int) -> None:
        """Look at the task again at `due` (unless a later step of it wrote the watch)."""
        with contextlib.suppress(DuplicateKeyError):
            self.coll.replace_one({"_id": task_id, "version": {"$lte": version}}, {"due": due, "version": version},
                                  upsert=True)

    def drop(self, task_id: str, version: int) -> None:
        """The task at `version` needs no watch (a watch a later step wrote stays)."""
        self.coll.delete_one({"_id": task_id, "version": {"$lte": version}})


class Hours(Versioned):
    missing, label = HoursNotFound, "hours"

    def between(self, query: Mapping, first: str, last: str) -> list[dict]:
        return list(self.coll.find({**query, "day": {"$gte": first, "$lte": last}}).sort([("day", ASCENDING),
                                                                                          ("_id", ASCENDING)]))

    def ensure_indexes(self) -> None:
        for key in ("team_id", "person_id", "day"):
            self.coll.create_index([(key, ASCENDING)])


class Consultations(Collection_):
    label = "consultation"

    def insert_new(self, doc: dict) -> dict:
        return insert_or_get(self.coll, doc)[0]

    def of_task(self, task_id: str) -> list[dict]:
        return list(self.coll.find({"task_id": task_id}).sort([("at", ASCENDING), ("_id", ASCENDING)]))

    def ensure_indexes(self) -> None:
        for key in ("task_id", "case_id"):
            self.coll.create_index([(key, ASCENDING)])


def changed(step: Mapping) -> ChangedMeanwhile:
    """What a writer that lost a document's version to another writer hears."""
    label = {"tasks": "task", "hours": "hours"}.get(step["collection"], step["collection"])
    return ChangedMeanwhile(f"{label} {step['doc_id']} changed meanwhile",
                            [{"field": f"{label}_id", "reason": "changed meanwhile; reload and retry"}])


#: How the journal writes: fresh task ids from reserved blocks, a lost version answered with `ChangedMeanwhile`.
JOURNAL = {"fresh_collection": "tasks", "on_clash": changed}


class VolunteersStore:
    """Everything the volunteers service keeps, one attribute per collection, and the journal."""

    def __init__(self, db: Database, journal: Journal, config: Mapping | None = None):
        config = config or {}
        self.teams = Teams(db["teams"])
        self.members = Members(db["members"])
        self.tasks = Tasks(db["tasks"], journal)
        self.hours = Hours(db["hours"], journal)
        self.consultations = Consultations(db["consultations"])
        self.pii_reads = PiiReads(db["pii_reads"])
        self.requests = RequestLog(db["requests"], float(config.get("REQUEST_LOG_DAYS", 7)))
        self.journal = journal
        self.claim_watches = Watches(db[watching.CLAIMS])
        self.reminder_watches = Watches(db[watching.REMINDERS])
        self.owed_cases = Watches(db[watching.OWED])
        self.turns = Turns()  # the writers of one task in this process take turns (see `turns`)

    def ensure_indexes(self) -> None:
        for part in (self.teams, self.members, self.tasks, self.hours, self.consultations):
            part.ensure_indexes()

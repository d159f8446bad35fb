"""Cases' storage: one class per collection, every hot read by `_id` (the only filter the
test database answers without scanning)."""

from collections.abc import Iterable, Mapping
from datetime import datetime

import eventlet
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from services.cases import counting
from services.cases.exceptions import CaseChanged, CaseNotFound, MeetingNotFound
from shared.audit import PiiReads
from shared.clock import utcnow
from shared.journal import Journal
from shared.requests import RequestLog
from shared.writes import insert_or_get


class Cases:
    def __init__(self, collection: Collection):
        self.coll = collection

    def get(self, case_id: str, field: str = "case_id") -> dict:
        doc = self.coll.find_one({"_id": case_id})
        if doc is None:
            raise CaseNotFound(f"no case {case_id}", [{"field": field, "reason": "not found"}])
        return doc

    def find(self, case_id: str) -> dict | None:
        return self.coll.find_one({"_id": case_id})

    def search(self, query: Mapping, offset: int, limit: int) -> tuple[int, list[dict]]:
        total = self.coll.count_documents(query)
        docs = self.coll.find(query).sort([("reported_at", DESCENDING), ("_id", ASCENDING)]).skip(offset).limit(limit)
        return total, list(docs)

    def ensure_indexes(self) -> None:
        for key in ("lineage", "state", "category", "received_day", "overdue"):
            self.coll.create_index([(key, ASCENDING)])


class Counters:
    """Counter documents `<node>:<day|month>` with `c.<category>.<metric>`."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def parts(self, counter_ids: Iterable[str]) -> list[dict]:
        """The `c` part (category → metric → count) of each counter document that exists,
        read concurrently."""
        pool = eventlet.GreenPool(16)
        docs = pool.imap(lambda i: self.coll.find_one({"_id": i}, {"c": 1}), list(counter_ids))
        return [doc.get("c") or {} for doc in docs if doc]


class Watches:
    """Open deadlines, one small document per case that has any; the overdue timer reads them all."""

    def __init__(self, collection: Collection):
        self.coll = collection

    def due(self, now: datetime) -> list[dict]:
        return [w for w in self.coll.find({}) if w["next_check"] <= now]


class Meetings:
    def __init__(self, collection: Collection):
        self.coll = collection

    def get(self, meeting_id: str) -> dict:
        doc = self.coll.find_one({"_id": meeting_id})
        if doc is None:
            raise MeetingNotFound(f"no meeting {meeting_id}", [{"field": "meeting_id", "reason": "not found"}])
        return doc

    def find(self, meeting_id: str) -> dict | None:
        return self.coll.find_one({"_id": meeting_id})

    def insert_new(self, doc: dict) -> dict:
        """Insert, or when a twin of the request inserted this id first, that meeting."""
        return insert_or_get(self.coll, doc)[0]

    def update(self, meeting_id: str, change: Mapping, when: Mapping | None = None) -> dict | None:
        """Set `change` and return the meeting as written. With `when`, a compare-and-set: only
        while the meeting still matches those conditions, else None and nothing is written."""
        doc = self.coll.find_one_and_update({"_id": meeting_id, **(when or {})},
                                            {"$set": {**change, "updated_at": utcnow()}},
                                            return_document=ReturnDocument.AFTER)
        if doc is None and when is None:
            return self.get(meeting_id)  # raises MeetingNotFound
        return doc


def changed(step: Mapping) -> CaseChanged:
    """What a writer that lost a case's version to another writer hears."""
    return CaseChanged(f"case {step['doc_id']} changed meanwhile",
                       [{"field": "case_id", "reason": "changed meanwhile; reload and retry"}])


#: How the journal writes cases: fresh case ids from reserved blocks, counts expanded per node
#: and period, a lost version answered with `CaseChanged`.
JOURNAL = {"fresh_collection": "cases", "expand": counting.expand, "on_clash": changed}


class CasesStore:
    """Everything the cases service keeps, one attribute per collection, plus the journal
    through which every change to a case goes."""

    def __init__(self, db: Database, journal: Journal, config: Mapping | None = None):
        config = config or {}
        self.cases = Cases(db["cases"])
        self.counters = Counters(db["counters"])
        self.watches = Watches(db["deadline_watches"])
        self.meetings = Meetings(db["meetings"])
        self.pii_reads = PiiReads(db["pii_reads"])
        self.requests = RequestLog(db["requests"], float(config.get("REQUEST_LOG_DAYS", 7)))
        self.journal = journal

    def ensure_indexes(self) -> None:
        self.cases.ensure_indexes()

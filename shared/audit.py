"""Audit of personal information: every read that returned phone or ID numbers unmasked."""

from collections.abc import Mapping

from pymongo import DESCENDING
from pymongo.collection import Collection

from shared.clock import utcnow


class PiiReads:
    def __init__(self, collection: Collection):
        self.coll = collection

    def record(self, actor: Mapping, rpc: str, subject_ids: list[str]) -> None:
        """Who read whose numbers, through which RPC, and when."""
        if subject_ids:
            self.coll.insert_one({"actor": dict(actor), "rpc": rpc, "subjects": subject_ids, "at": utcnow()})

    def listed(self, query: Mapping, limit: int, offset: int) -> list[dict]:
        """Recorded reads matching `query`, newest first."""
        return list(self.coll.find(dict(query)).sort("at", DESCENDING).skip(offset).limit(limit))

"""Where import jobs are kept: the job with its progress and report, and the file it imports."""

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from shared.errors import NotFound
from shared.writes import insert_or_get


class ImportJobs:
    """Import jobs (`imports`) and the files they import (`import_files`, in chunks below the
    database's document size): a job keeps its file, so any instance can finish it."""

    CHUNK = 4 * 1024 * 1024

    def __init__(self, collection: Collection, files: Collection):
        self.coll = collection
        self.files = files

    def create(self, job: dict, content: bytes) -> tuple[dict, bool]:
        """The file's chunks, then the job (so no job is without its file): (stored job, created)."""
        starts = range(0, max(len(content), 1), self.CHUNK)
        for n, start in enumerate(starts):
            insert_or_get(self.files, {"_id": f"{job['_id']}:{n}", "job_id": job["_id"],
                                       "data": content[start:start + self.CHUNK]})
        return insert_or_get(self.coll, {**job, "chunks": len(starts)})

    def content(self, job: Mapping) -> bytes:
        parts = (self.files.find_one({"_id": f"{job['_id']}:{n}"}) for n in range(job["chunks"]))
        return b"".join(bytes(part["data"]) for part in parts)

    def find(self, job_id: str) -> dict | None:
        return self.coll.find_one({"_id": job_id})

    def get(self, job_id: str) -> dict:
        job = self.coll.find_one({"_id": job_id})
        if job is None:
            raise NotFound(f"no import job {job_id}", [{"field": "job_id", "reason": "not found"}])
        return job

    def unfinished(self) -> list[dict]:
        """Queued and running jobs, with their state and lease only."""
        return list(self.coll.find({"state": {"$in": ["queued", "running"]}}, {"state": 1, "lease_until": 1}))

    def claim(self, job: Mapping, owner: str, lease_until: datetime) -> bool:
        """Take a job as it was seen (state and lease unchanged since): of instances claiming
        one job at once exactly one gets it."""
        seen = {"_id": job["_id"], "state": job["state"], "lease_until": job.get("lease_until")}
        change = {"state": "running", "lease_owner": owner, "lease_until": lease_until}
        return self.coll.update_one(seen, {"$set": change}).matched_count == 1

    def progress(self, job_id: str, owner: str, fields: Mapping[str, Any], outcomes: Iterable[Any]) -> bool:
        """Add the outcomes of rows done (`kind`, `errors`, `created`) and set `fields`, while
        the job's lease is still `owner`'s; False when another instance has taken it over."""
        outcomes = list(outcomes)
        places = [{"level": level, "path": path} for o in outcomes for level, path in o.created]
        counts = Counter(o.kind for o in outcomes) + Counter(f"places_created.{p['level']}" for p in places)
        change: dict[str, Any] = {"$set": dict(fields), "$inc": {"processed": len(outcomes), **counts}}
        errors = [e for o in outcomes for e in o.errors]
        pushed = {"errors": {"$each": errors}} if errors else {}
        pushed |= {"created_places": {"$each": places}} if places else {}
        if pushed:
            change["$push"] = pushed
        return self.coll.update_one({"_id": job_id, "lease_owner": owner}, change).matched_count == 1

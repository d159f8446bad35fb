"""An import job's progress: the outcomes of rows done, written to the job with its lease
renewed, so that `import_status` shows them and another instance can go on from there."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from services.rosters.repository import RostersStore
from shared.clock import utcnow


class LeaseLost(Exception):
    """Another instance took the job over (this one was too slow to renew its lease)."""


class Progress:
    """Counts, errors and places made, written to the job every few rows with its lease renewed."""

    def __init__(self, store: RostersStore, job_id: str, owner: str, lease_until: Callable[[], datetime]):
        self.jobs, self.job_id, self.owner, self.lease_until = store.imports, job_id, owner, lease_until
        self.pending: list = []

    def add(self, outcomes: Iterable[Any]) -> None:
        self.pending += list(outcomes)
        self._write({})

    def finish(self) -> None:
        self._write({"state": "done", "finished_at": utcnow(), "lease_owner": None, "lease_until": None})

    def release(self) -> None:
        """Stopping: the job is left for any instance to go on with at once."""
        self._write({"lease_owner": None, "lease_until": None})

    def fail(self, reason: str) -> None:
        self._write({"state": "failed", "reason": reason, "finished_at": utcnow(), "lease_owner": None})

    def _write(self, fields: dict) -> None:
        done, self.pending = self.pending, []
        if not self.jobs.progress(self.job_id, self.owner, {"lease_until": self.lease_until(), **fields}, done):
            raise LeaseLost(self.job_id)

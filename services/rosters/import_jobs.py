"""Import jobs run in the background of every rosters process. An instance claims a queued
job, or a running one whose lease ran out (its process died), and holds it by renewing the
lease with each progress write; so a restart or another instance finishes what a dead one
left, going on from the last row written (rows are idempotent, so redoing a few is safe)."""

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from services.rosters.import_run import run_job
from services.rosters.repository import RostersStore
from shared.clock import utcnow
from shared.ids import new_id

log = logging.getLogger(__name__)


def claim_jobs(store: RostersStore, owner: str, lease_seconds: float, now: datetime, room: int) -> list[str]:
    """Claim up to `room` jobs: queued ones, and running ones whose lease has run out."""
    taken: list[str] = []
    for job in store.imports.unfinished():
        if len(taken) >= room:
            break
        lease = job.get("lease_until")
        free = job["state"] == "queued" or lease is None or lease <= now
        if free and store.imports.claim(job, owner, now + timedelta(seconds=lease_seconds)):
            taken.append(job["_id"])
    return taken


def take_and_run(store: RostersStore, owner: str, lease_seconds: float = 60,
                 now: Callable[[], datetime] = utcnow) -> list[str]:
    """Claim every job free now and run each to its end, one after the other (for a caller
    without a background, such as a test or a one-off script)."""
    taken = claim_jobs(store, owner, lease_seconds, now(), room=1_000)
    for job_id in taken:
        run_job(store, job_id, owner, lease_seconds, now)
    return taken


class ImportRunner(DependencyProvider):
    """Looks for free jobs every `IMPORT_POLL_SECONDS` and at once when woken (a worker that
    stored a job calls the dependency), and runs up to `IMPORT_PARALLEL` at a time, each in a
    thread of its own, holding a lease of `IMPORT_LEASE_SECONDS`. The store is the service's
    `MongoStore` dependency named `store_attr`."""

    def __init__(self, store_attr: str = "store"):
        self.store_attr = store_attr

    def setup(self) -> None:
        config = self.container.config
        self.poll = float(config.get("IMPORT_POLL_SECONDS", 2))
        self.lease = float(config.get("IMPORT_LEASE_SECONDS", 60))
        self.parallel = int(config.get("IMPORT_PARALLEL", 2))
        self.owner = new_id("importer")
        self.woken: LightQueue = LightQueue()
        self.running: set[str] = set()
        self.stopping = False

    def start(self) -> None:
        self.container.spawn_managed_thread(self._watch, identifier="import_jobs")

    def stop(self) -> None:
        self.stopping = True
        self.woken.put(None)

    kill = stop

    def get_dependency(self, worker_ctx) -> Callable[[], None]:
        """`wake()`: look for free jobs now."""
        return lambda: self.woken.put(None)

    def _store(self) -> RostersStore:
        return next(d for d in self.container.dependencies if d.attr_name == self.store_attr).store

    def _watch(self) -> None:
        while not self.stopping:
            try:
                self._take(self._store())
            except Exception:  # noqa: BLE001 - the database may be away: look again next time
                log.warning("looking for import jobs failed", exc_info=True)
            with contextlib.suppress(Empty):
                self.woken.get(timeout=self.poll)

    def _take(self, store: RostersStore) -> None:
        for job_id in claim_jobs(store, self.owner, self.lease, utcnow(), self.parallel - len(self.running)):
            self.running.add(job_id)
            self.container.spawn_managed_thread(partial(self._run, store, job_id), identifier="import_job")

    def _run(self, store: RostersStore, job_id: str) -> None:
        try:
            run_job(store, job_id, self.owner, self.lease, keep_going=lambda: not self.stopping)
        except Exception:  # noqa: BLE001 - the lease runs out and any instance goes on with it
            log.warning("import job %s stopped", job_id, exc_info=True)
        finally:
            self.running.discard(job_id)
            self.woken.put(None)

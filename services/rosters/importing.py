"""Importing a roster workbook for a street or a community (`import_roster`): the file is
checked and read at once, then either planned (a dry run: nothing written) or stored as a job
with its content and total, which rows are processed in the background (`import_jobs`).
`import_status` shows a job's progress to callers whose jurisdiction covers its node."""

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from eventlet import tpool

from services.rosters import tree, workbook
from services.rosters.importers import RosterImporter
from services.rosters.placing import PlaceIndex
from services.rosters.planning import dry_run
from services.rosters.repository import RostersStore
from shared import plugins
from shared.actor import Actor
from shared.clock import to_iso, utcnow
from shared.errors import Conflict, field_error
from shared.ids import derived_id, new_id

COUNTS = ("total", "processed", "imported", "unchanged", "rejected")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 20_000

    @classmethod
    def from_config(cls, config: Mapping) -> "Limits":
        return cls(int(config.get("IMPORT_MAX_BYTES", cls.max_bytes)), int(config.get("IMPORT_MAX_ROWS", cls.max_rows)))


def decoded(content_base64: str, limits: Limits) -> bytes:
    """The file's bytes, refused (naming `content_base64`) when too big or not base64."""
    if len(content_base64) > (limits.max_bytes + 2) // 3 * 4:
        raise field_error("content_base64", f"the file is larger than {limits.max_bytes} bytes (IMPORT_MAX_BYTES)")
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise field_error("content_base64", "is not valid base64") from None


def importer_for(filename: str) -> RosterImporter:
    return plugins.load("linli.roster_importers", filename.rsplit(".", 1)[1])()


def read_sheet(filename: str, content: bytes, max_rows: int) -> workbook.Sheet:
    """The file read in an OS thread: a big workbook takes seconds of CPU, which would
    otherwise stop every other green thread of the process (RPCs, heartbeats) meanwhile."""
    return tpool.execute(workbook.read_sheet, importer_for(filename), content, filename, max_rows)


def submit_import(store: RostersStore, actor: Actor, request: Mapping, content: bytes, limits: Limits) -> dict:
    """A dry run's report, or the job stored (queued, total known) and its view."""
    node = store.units.get(request["node_id"], "node_id")
    actor.require(tree.lineage(node))
    if node["level"] not in ("street", "community"):
        raise field_error("node_id", f"is a {node['level']}: a roster is imported for a street or a community")
    sheet = read_sheet(request["filename"], content, limits.max_rows)
    if request["dry_run"]:
        index = PlaceIndex(node, store.units.descendants(node["_id"]))
        return dry_run(sheet.header, sheet.rows, index, request["create_places"])
    job = new_job(actor, node, request, content, len(sheet.rows))
    existing = store.imports.find(job["_id"])
    if existing is None:
        existing, _ = store.imports.create(job, content)
    if existing["fingerprint"] != job["fingerprint"]:
        raise Conflict("this job_id was already used for another file",
                       [{"field": "job_id", "reason": "already used for another file or other options"}])
    return job_view(existing)


def new_job(actor: Actor, node: Mapping, request: Mapping, content: bytes, total: int) -> dict:
    """A queued job. A `job_id` given by the caller is scoped to the node: the stored id
    derives from both, so no jurisdiction can reach or overwrite another's job."""
    given = request.get("job_id")
    fingerprint = hashlib.sha256(b"%s\0%s\0%d" % (request["filename"].encode(), content,
                                                  request["create_places"])).hexdigest()
    return {"_id": derived_id("import", node["_id"], given) if given else new_id("import"), "given_job_id": given,
            "node_id": node["_id"], "actor": actor.as_dict(), "filename": request["filename"],
            "fingerprint": fingerprint, "size": len(content), "create_places": request["create_places"],
            "state": "queued", "total": total, "processed": 0, "imported": 0, "unchanged": 0, "rejected": 0,
            "errors": [], "places_created": {}, "created_places": [], "lease_owner": None, "lease_until": None,
            "created_at": utcnow()}


def job_in_reach(store: RostersStore, actor: Actor, job_id: str) -> dict:
    """The job, for a caller whose jurisdiction covers its street or community."""
    job = store.imports.get(job_id)
    actor.require(tree.lineage(store.units.get(job["node_id"], "job_id")))
    return job


def import_status(store: RostersStore, actor: Actor, job_id: str) -> dict:
    return job_view(job_in_reach(store, actor, job_id))


def job_view(job: Mapping) -> dict:
    """A job as callers see it; `report` once it is done."""
    view = {"job_id": job["_id"], "given_job_id": job.get("given_job_id"), "state": job["state"],
            "node_id": job["node_id"], "filename": job["filename"], "create_places": job["create_places"],
            **{k: job.get(k, 0) for k in COUNTS}, "errors": job.get("errors", []),
            "places_created": job.get("places_created") or {}, "created_places": job.get("created_places", []),
            "reason": job.get("reason"), "created_at": to_iso(job["created_at"]),
            "finished_at": to_iso(job["finished_at"]) if job.get("finished_at") else None}
    done = job["state"] == "done"
    view["report"] = {k: view[k] for k in ("total", "imported", "unchanged", "rejected", "errors",
                                            "places_created")} if done else None
    return view

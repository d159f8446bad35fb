"""Running an import job: each row of the job's stored file checked and placed (its missing
places made when the job asks), its person enrolled and its leader appointed, progress
written as it goes under the job's lease, so that another instance can finish a job whose
process died (rows are idempotent: a row done twice is `unchanged` the second time)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.rosters import appointing, commands
from services.rosters import appointments as flow
from services.rosters.exceptions import InvalidTransition
from services.rosters.headers import LABELS
from services.rosters.import_progress import Progress
from services.rosters.importing import read_sheet
from services.rosters.placing import PlaceIndex, shown
from services.rosters.planning import CheckedRow, check_line
from services.rosters.repository import RostersStore
from shared.actor import Actor
from shared.clock import utcnow
from shared.errors import LinliError, field_error
from shared.ids import derived_id

FLUSH_ROWS = 5  # progress is written (and the lease renewed) after this many rows


@dataclass
class Outcome:
    kind: str  # imported, unchanged or rejected (placed while under way)
    errors: list[dict] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)  # (level, path) of places made
    unit: dict | None = None


def run_job(store: RostersStore, job_id: str, owner: str, lease_seconds: float,
            now: Callable[[], datetime] = utcnow, keep_going: Callable[[], bool] = lambda: True) -> None:
    """Process the job's rows from the first not yet done; its lease must be `owner`'s."""
    job = store.imports.get(job_id)
    progress = Progress(store, job_id, owner, lambda: now() + timedelta(seconds=lease_seconds))
    try:
        sheet = read_sheet(job["filename"], store.imports.content(job), job["total"])
        actor = Actor(job["actor"]["who"], job["actor"]["role"], tuple(job["actor"]["jurisdiction"]))
        node = store.units.get(job["node_id"], "node_id")
        index = PlaceIndex(node, store.units.descendants(node["_id"]))
    except LinliError as exc:
        return progress.fail(exc.details[0]["reason"] if exc.details else exc.message)
    rows = sheet.rows[job["processed"]:]
    for start in range(0, len(rows), FLUSH_ROWS):
        if not keep_going():
            return progress.release()
        checked = [check_line(sheet.header, index, line, cells, job["create_places"])
                   for line, cells in rows[start:start + FLUSH_ROWS]]
        progress.add([_appointed(store, actor, row, _placed(store, actor, index, row)) for row in checked])
    progress.finish()


def _placed(store: RostersStore, actor: Actor, index: PlaceIndex, row: CheckedRow) -> Outcome:
    """A checked row's place, made when missing: an outcome holding its unit, or rejected."""
    if row.errors:
        return Outcome("rejected", row.errors)
    outcome = Outcome("placed")
    try:
        outcome.unit = _place(store, actor, index, row, outcome.created)
    except LinliError as exc:
        outcome.kind, outcome.errors = "rejected", _errors(row, exc)
    return outcome


def _appointed(store: RostersStore, actor: Actor, row: CheckedRow, outcome: Outcome) -> Outcome:
    """The row's person enrolled and its leader appointed at its unit."""
    if outcome.kind == "rejected":
        return outcome
    try:
        person, _ = appointing.enrol_person(store, {**row.values.person, "home_unit_id": None})
        start, unit = row.values.terms["term_start"], outcome.unit
        appointment_id = derived_id("appt", person["_id"], unit["_id"], row.values.role,
                                    start.isoformat() if start else "")
        appointment = appointing.apply(store, actor, {"person_id": person["_id"], "unit_id": unit["_id"],
                                                      "role": row.values.role}, appointment_id=appointment_id)
        outcome.kind = _bring_to_appointed(store, actor, appointment, row.values.terms)
    except LinliError as exc:
        outcome.kind, outcome.errors = "rejected", _errors(row, exc)
    return outcome


def _errors(row: CheckedRow, exc: LinliError) -> list[dict]:
    detail = exc.details[0] if exc.details else {"field": "row", "reason": exc.message}
    return [{"line": row.line, "field": LABELS.get(detail["field"], detail["field"]), "reason": detail["reason"]}]


def _place(store: RostersStore, actor: Actor, index: PlaceIndex, row: CheckedRow, created: list) -> dict:
    """The row's unit, its missing places made first (ids derived from parent, level and
    name, so two imports making one place at once meet on it)."""
    for key in row.placement.missing:
        if index.get(key) is not None:  # made for an earlier row of this job
            continue
        parent, (level, name) = index.get(key[:-1]), key[-1]
        unit_id = derived_id("unit", parent["_id"], level, name)
        existed = store.units.find(unit_id) is not None
        unit = commands.create_unit(store, actor, {"parent_id": parent["_id"], "name": name, "level": level},
                                    unit_id=unit_id)
        if unit.get("retired"):  # made by an import once, retired since: not made again
            raise field_error(level, f"{shown(key)} was retired")
        index.add(key, unit)
        if not existed:
            created.append((level, shown(key)))
    return index.get(row.placement.key)


def _bring_to_appointed(store: RostersStore, actor: Actor, appointment: dict, terms: dict) -> str:
    """Screen and appoint as far as needed: "imported" when this import appointed it,
    "unchanged" when it already was. A step another import took meanwhile is read back and
    the next one tried, so importing one file several times at once appoints each row once."""
    for _ in range(len(flow.FLOW)):  # the status only moves forward
        status = appointment["status"]
        if status == "appointed":
            return "unchanged"
        flow.next_status(status, "screen" if status == "applicant" else "appoint")  # an ended one is refused
        try:
            if status == "applicant":
                appointing.screen(store, actor, {"appointment_id": appointment["_id"], "passed": True,
                                                 "note": "imported"})
            else:
                appointing.appoint(store, actor, {"appointment_id": appointment["_id"], **terms})
                return "imported"
        except InvalidTransition:
            pass  # another import took this step first
        appointment = store.appointments.get(appointment["_id"])
    raise InvalidTransition("the appointment changed while being imported; import it again",
                            [{"field": "row", "reason": "changed while being imported; import it again"}])

"""Bulk roster import: rows with Chinese headers → people and appointed leaders.

Valid rows are kept, every bad row is reported with its line and reason, and progress is
written to the import job as rows are processed. Ids are derived from the row (phone; person,
unit, role and term), so importing the same file twice changes nothing.
"""

from collections.abc import Callable, Iterable, Mapping

from marshmallow import ValidationError, fields, validate, validates_schema

from services.rosters import appointing, tree
from services.rosters import appointments as flow
from services.rosters.exceptions import InvalidTransition
from services.rosters.importers import RosterImporter, Row
from services.rosters.repository import RostersStore
from services.rosters.schemas import ID_NUMBER, PHONE
from shared.actor import Actor
from shared.errors import LinliError, field_error
from shared.ids import derived_id, new_id
from shared.schemas import StrictSchema, flatten_messages

HEADERS = {
    "姓名": "name", "手机号": "phone", "联系电话": "phone", "电话": "phone", "身份证号": "id_number",
    "是否党员": "party_member", "党员": "party_member", "职业": "occupation", "特长": "skills",
    "技能": "skills", "兴趣爱好": "interests", "职务": "role", "角色": "role", "网格": "grid",
    "小区": "estate", "巷": "estate", "楼栋": "building", "单元": "unit", "聘书编号": "certificate_no",
    "工作证号": "work_id", "任期开始": "term_start", "任期结束": "term_end",
}
FIELD_LABELS = {field: header for header, field in reversed(list(HEADERS.items()))}
ROLE_NAMES = {
    "网格长": "grid_leader", "专职网格员": "grid_worker", "网格员": "grid_worker", "片长": "zone_leader",
    "组长": "group_leader", "楼栋长": "building_leader", "邻长": "building_leader", "单元长": "unit_leader",
    "小巷管家": "alley_steward", "书记": "secretary", "值班人员": "duty_officer",
}
LOCATION_LEVELS = ("estate", "building", "unit")
APPOINT_FIELDS = ("certificate_no", "work_id", "term_start", "term_end")


class ImportRow(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(required=True, validate=PHONE)
    id_number = fields.String(load_default=None, validate=ID_NUMBER)
    party_member = fields.Boolean(load_default=False, truthy={"是", "党员", "yes", "1"},
                                  falsy={"否", "群众", "no", "0", ""})
    occupation = fields.String(load_default=None)
    skills = fields.List(fields.String(), load_default=list)
    interests = fields.List(fields.String(), load_default=list)
    role = fields.String(required=True, validate=validate.OneOf(list(ROLE_NAMES), error="unknown role"))
    grid = fields.String(load_default=None)
    estate = fields.String(required=True)
    building = fields.String(load_default=None)
    unit = fields.String(load_default=None)
    certificate_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    work_id = fields.String(load_default=None)
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)

    @validates_schema
    def term_is_forward(self, data, **kwargs):
        if data["term_end"] <= data["term_start"]:
            raise ValidationError("must be after the term start", "term_end")


def normalise(raw: Mapping[str, str]) -> dict:
    """Headers to field names; empty cells dropped; lists split on 、 , ，and spaces."""
    row = {}
    for header, value in raw.items():
        field = HEADERS.get(header)
        if field is None or value in ("", None):
            continue
        if field in ("skills", "interests"):
            value = [v for v in value.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if v]
        row[field] = value
    return row


def location_key(names: Iterable[str | None]) -> tuple[str, ...]:
    key = tuple(n for n in names if n)
    return key


def unit_index(subtree: list[dict]) -> dict[tuple[str, ...], dict]:
    """(estate, building, unit) names → unit, for every estate/alley, building and unit node."""
    by_id = {u["_id"]: u for u in subtree}
    index = {}
    for unit in subtree:
        if unit["level"] not in ("estate", "alley", "building", "unit") or unit.get("retired"):
            continue
        chain = [by_id[a] for a in unit["ancestors"] if a in by_id] + [unit]
        index[location_key(u["name"] for u in chain if u["level"] in ("estate", "alley", "building", "unit"))] = unit
    return index


def run_import(store: RostersStore, actor: Actor, importer: RosterImporter, request: Mapping,
               content: bytes) -> dict:
    """Parse, then import every row under the request's community, recording the job."""
    community = store.units.get(request["community_id"], "community_id")
    actor.require([*community["ancestors"], community["_id"]])
    try:
        rows = list(importer.rows(content))
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault
        raise field_error("content_base64", f"cannot be read as {request['filename']}: {exc}") from None
    job_id = request.get("job_id") or new_id("import")
    store.imports.start(job_id, community["_id"], request["filename"])
    report = import_rows(store, actor, community, rows,
                         lambda done: store.imports.progress(job_id, done, len(rows)))
    store.imports.finish(job_id, report)
    return {"job_id": job_id, **report}


def import_rows(store: RostersStore, actor: Actor, community: dict, rows: Iterable[Row],
                progress: Callable[[int], None]) -> dict:
    units = unit_index([community, *store.units.descendants(community["_id"])])
    report = {"total": 0, "imported": 0, "unchanged": 0, "errors": []}
    for count, (line, raw) in enumerate(rows, start=1):
        report["total"] = count
        try:
            outcome = _import_one(store, actor, community, units, raw)
            report[outcome] += 1
        except RowRejected as rejected:
            report["errors"].append({"line": line, **rejected.detail})
        if count % 50 == 0:
            progress(count)
    return report


class RowRejected(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(field, reason)
        self.detail = {"field": FIELD_LABELS.get(field, field), "reason": reason}


def _import_one(store: RostersStore, actor: Actor, community: dict, units: dict, raw: Mapping[str, str]) -> str:
    try:
        row = ImportRow().load(normalise(raw))
    except ValidationError as exc:
        first = flatten_messages(exc.messages)[0]
        raise RowRejected(first["field"], first["reason"]) from None
    unit = units.get(location_key(row.get(level) for level in LOCATION_LEVELS))
    if unit is None:
        where = "/".join(n for n in (row.get(level) for level in LOCATION_LEVELS) if n)
        raise RowRejected("unit", f"no such place in this community: {where}")
    role = ROLE_NAMES[row["role"]]
    try:
        flow.check_role(role, unit, community)
    except LinliError as exc:
        raise RowRejected("role", exc.details[0]["reason"]) from None
    person_fields = {k: row.get(k) for k in ("name", "phone", "id_number", "party_member", "occupation")}
    person, _ = appointing.enrol_person(store, {**person_fields, "skills": row["skills"],
                                              "interests": row["interests"], "home_unit_id": None})
    appointment_id = derived_id("appt", person["_id"], unit["_id"], role, row["term_start"].isoformat())
    try:
        appointment = appointing.apply(store, actor, {"person_id": person["_id"], "unit_id": unit["_id"],
                                                    "role": role}, appointment_id=appointment_id)
        return _bring_to_appointed(store, actor, appointment, {k: row.get(k) for k in APPOINT_FIELDS})
    except LinliError as exc:
        detail = exc.details[0] if exc.details else {"field": "row", "reason": exc.message}
        raise RowRejected(detail["field"], detail["reason"]) from None


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
    raise RowRejected("row", "changed while being imported; import it again")


def import_status(store: RostersStore, actor: Actor, job_id: str) -> dict:
    """An import job as its caller may see it: only for a community in the caller's reach."""
    job = store.imports.get(job_id)
    actor.require(tree.lineage(store.units.get(job["community_id"], "job_id")))
    return {k: job.get(k) for k in ("state", "processed", "total", "report", "filename")} | {"job_id": job["_id"]}

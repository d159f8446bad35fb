"""Volunteers' boundary: every RPC's arguments as a marshmallow schema that raises
`ValidationFailed` naming each field and reason."""


from marshmallow import ValidationError, fields, validate, validates_schema

from services.volunteers.membership import MOVES
from services.volunteers.taskflow import KINDS, STATES
from shared.schemas import MAX_OFFSET, StrictSchema, in_years, name_field, request_id_field

Id = fields.String(required=True, validate=validate.Length(min=1, max=80))
OptionalId = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))
Text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
Note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
# `\Z`, not `$`: `$` also matches before a final newline
PHONE = validate.Regexp(r"^1[0-9]{10}\Z", error="must be an 11-digit mainland mobile number")
CATEGORY_CODE = validate.Regexp(r"^[a-z_]{2,40}\Z", error="must be a category code")
HOUR_MINUTE = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z", error="must be a time as HH:MM")


def skill_list(required: bool = False) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list,
                       validate=validate.Length(max=20), required=required)


Limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=200))
Offset = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_OFFSET))


class Command(StrictSchema):
    request_id = request_id_field()


class CreateTeam(Command):
    node_id = Id
    name = name_field(100)
    kind = fields.String(load_default="squad", validate=validate.OneOf(["legal", "police", "party", "squad"]))
    description = Note
    skills = skill_list()
    categories = fields.List(fields.String(validate=CATEGORY_CODE), load_default=list,
                             validate=validate.Length(max=50))
    leader_phone = fields.String(load_default=None, allow_none=True, validate=PHONE)


class TeamRef(StrictSchema):
    team_id = Id


class ListTeams(StrictSchema):
    node_id = OptionalId
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY_CODE)
    skill = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=30))
    limit = Limit
    offset = Offset


class Availability(StrictSchema):
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=7))  # 1 = Monday
    start = fields.String(required=True, validate=HOUR_MINUTE)
    end = fields.String(required=True, validate=HOUR_MINUTE)

    @validates_schema
    def start_before_end(self, data, **kwargs):
        if data["end"] <= data["start"]:
            raise ValidationError("must be after start", "end")


class ApplyMember(Command):
    team_id = Id
    phone = fields.String(required=True, validate=PHONE)  # the person as rosters knows them
    profession = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    skills = skill_list()
    availability = fields.List(fields.Nested(Availability), load_default=list, validate=validate.Length(max=21))
    work_unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))  # 双报到: employer
    note = Note


class ScreenMember(Command):
    member_id = Id
    passed = fields.Boolean(required=True)
    note = Note


class SetMemberStatus(Command):
    member_id = Id
    status = fields.String(required=True, validate=validate.OneOf(sorted({s for to in MOVES.values() for s in to})))
    reason = Note


class ListMembers(StrictSchema):
    team_id = Id
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(MOVES)))
    skill = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=30))
    limit = Limit
    offset = Offset


class Wish(StrictSchema):
    resident_name = name_field(50)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    wish = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OpenTask(Command):
    team_id = Id
    kind = fields.String(required=True, validate=validate.OneOf([k for k in KINDS if k != "case"]))
    title = name_field(100)
    description = Note
    required_skills = skill_list()
    headcount = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=500))
    starts_at = fields.AwareDateTime(required=True, validate=in_years)
    ends_at = fields.AwareDateTime(required=True, validate=in_years)
    unit_id = OptionalId
    wish = fields.Nested(Wish, load_default=None, allow_none=True)

    @validates_schema
    def window_and_wish(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")
        if data["kind"] == "wish" and not data.get("wish"):
            raise ValidationError("required for a 微心愿 task", "wish")


class TaskRef(StrictSchema):
    task_id = Id


class ListTasks(StrictSchema):
    team_id = OptionalId
    node_id = OptionalId
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATES))
    case_id = OptionalId
    mine = fields.Boolean(load_default=False)
    limit = Limit
    offset = Offset


class Claim(Command):
    task_id = Id
    person_id = OptionalId  # staff claiming for a member; a volunteer claims as themselves
    override_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500))


class ClaimRef(Command):
    task_id = Id
    person_id = OptionalId


class Withdraw(ClaimRef):
    reason = Note


class StartTask(Command):
    task_id = Id
    note = Note


class FinishTask(Command):
    task_id = Id
    outcome = fields.String(required=True, validate=validate.OneOf(["completed", "could_not_complete"]))
    result = Note
    reason = Note


class CancelTask(Command):
    task_id = Id
    reason = Text


class RecordConsultation(Command):
    task_id = Id
    question = Text
    advice = Text


class LogHours(Command):
    task_id = Id
    person_id = OptionalId
    actual_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1440))
    scheduled_minutes = fields.Integer(load_default=None, allow_none=True, strict=True,
                                       validate=validate.Range(min=0, max=1440))
    note = Note


class VerifyHours(Command):
    hours_id = Id
    approved = fields.Boolean(required=True)
    note = Note


class HoursQuery(StrictSchema):
    team_id = OptionalId
    person_id = OptionalId
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)

    @validates_schema
    def one_subject_and_a_period(self, data, **kwargs):
        if not data.get("team_id") and not data.get("person_id"):
            raise ValidationError("give team_id or person_id", "team_id")
        if data["date_to"] < data["date_from"]:
            raise ValidationError("must not be before date_from", "date_to")
        if (data["date_to"] - data["date_from"]).days > 3660:
            raise ValidationError("a period is at most ten years", "date_to")


class Nothing(StrictSchema):
    pass



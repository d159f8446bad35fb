"""Rosters' boundary: every RPC argument set and every result, as marshmallow schemas."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.rosters.tree import DEFAULT_ROLES, LEVEL_RANK
from shared.schemas import MAX_OFFSET, StrictSchema, request_id_field

Id = fields.String(required=True, validate=validate.Length(min=1, max=80))
Name = fields.String(required=True, validate=validate.Length(min=1, max=100))
PHONE = validate.Regexp(r"^1\d{10}$", error="must be an 11-digit mainland mobile number")
ID_NUMBER = validate.Regexp(r"^\d{17}[\dXx]$", error="must be an 18-character resident ID number")
Role = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]{2,40}$", error="must be a role name"))


class EstateFacts(StrictSchema):
    has_property_company = fields.Boolean(required=True)
    property_company = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    property_contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class CommunityConfig(StrictSchema):
    levels = fields.List(fields.String(validate=validate.OneOf(list(LEVEL_RANK))), validate=validate.Length(min=1))
    roles = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z_]{2,40}$")),
                        values=fields.List(fields.String(validate=validate.OneOf(list(LEVEL_RANK)))))


class CreateUnit(StrictSchema):
    request_id = request_id_field()
    parent_id = fields.String(load_default=None, allow_none=True)
    name = Name
    level = fields.String(required=True, validate=validate.OneOf(list(LEVEL_RANK)))
    facts = fields.Nested(EstateFacts, load_default=None, allow_none=True)
    config = fields.Nested(CommunityConfig, load_default=None, allow_none=True)

    @validates_schema
    def config_only_for_communities(self, data, **kwargs):
        if data.get("config") and data["level"] != "community":
            raise ValidationError("only a community has a config", "config")
        if data.get("facts") and data["level"] not in ("estate", "alley"):
            raise ValidationError("only an estate or alley has estate facts", "facts")


class NoInput(StrictSchema):
    """For an RPC that takes no arguments: any argument given is reported by name."""


class UnitRef(StrictSchema):
    unit_id = Id


class Locate(StrictSchema):
    path = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                       validate=validate.Length(min=1, max=12))


class RenameUnit(StrictSchema):
    request_id = request_id_field()
    unit_id = Id
    name = Name


class MoveUnit(StrictSchema):
    request_id = request_id_field()
    unit_id = Id
    new_parent_id = Id


class RetireUnit(StrictSchema):
    request_id = request_id_field()
    unit_id = Id
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SetEstateFacts(EstateFacts):
    request_id = request_id_field()
    unit_id = Id


class RegisterPerson(StrictSchema):
    request_id = request_id_field()
    name = Name
    phone = fields.String(required=True, validate=PHONE)
    id_number = fields.String(load_default=None, allow_none=True, validate=ID_NUMBER)
    party_member = fields.Boolean(load_default=False)
    occupation = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    skills = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list)
    interests = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list)
    home_unit_id = fields.String(load_default=None, allow_none=True)


class Apply(StrictSchema):
    request_id = request_id_field()
    person_id = Id
    unit_id = Id
    role = Role


class Screen(StrictSchema):
    request_id = request_id_field()
    appointment_id = Id
    passed = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class Appoint(StrictSchema):
    request_id = request_id_field()
    appointment_id = Id
    certificate_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    work_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)

    @validates_schema
    def term_is_forward(self, data, **kwargs):
        if data["term_end"] <= data["term_start"]:
            raise ValidationError("must be after term_start", "term_end")


class EndAppointment(StrictSchema):
    request_id = request_id_field()
    appointment_id = Id
    reason = fields.String(required=True, validate=validate.OneOf(
        ["term_ended", "resigned", "dismissed", "moved_away", "deceased", "other"]))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class DutyEntry(StrictSchema):
    date = fields.Date(required=True)
    person_id = Id


class SetDuty(StrictSchema):
    request_id = request_id_field()
    community_id = Id
    entries = fields.List(fields.Nested(DutyEntry), required=True, validate=validate.Length(min=1, max=400))


class OnDuty(StrictSchema):
    community_id = Id
    date = fields.Date(required=True)


class CoverageGaps(StrictSchema):
    node_id = Id
    role = Role


class SearchPeople(StrictSchema):
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    skill = fields.String(load_default=None, validate=validate.Length(min=1, max=30))
    role = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z_]{2,40}$"))
    unit_id = fields.String(load_default=None)
    party_member = fields.Boolean(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class ImportRoster(StrictSchema):
    request_id = request_id_field()
    community_id = Id
    filename = fields.String(required=True, validate=validate.Regexp(
        r".+\.(csv|xlsx)$", error="must end in .csv or .xlsx"))
    content_base64 = fields.String(required=True, validate=validate.Length(min=1))
    job_id = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,60}$"))


class ImportStatus(StrictSchema):
    job_id = Id


class UnitOut(Schema):
    unit_id = fields.String(attribute="_id")
    name = fields.String()
    level = fields.String()
    parent_id = fields.String(allow_none=True)
    ancestors = fields.List(fields.String())
    path = fields.List(fields.String())
    community_id = fields.String(allow_none=True)
    facts = fields.Dict()
    config = fields.Dict()
    retired = fields.Boolean()


class AppointmentOut(Schema):
    appointment_id = fields.String(attribute="_id")
    person_id = fields.String()
    unit_id = fields.String()
    community_id = fields.String()
    role = fields.String()
    status = fields.String()
    certificate_no = fields.String(allow_none=True)
    work_id = fields.String(allow_none=True)
    term_start = fields.String(allow_none=True)
    term_end = fields.String(allow_none=True)
    ended_reason = fields.String(allow_none=True)
    history = fields.List(fields.Dict())


DEFAULT_CONFIG = {"roles": DEFAULT_ROLES}

"""Rosters' boundary: every RPC argument set and every result, as marshmallow schemas."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.rosters import plans
from services.rosters.tree import DEFAULT_ROLES, LEVEL_RANK
from shared.errors import ValidationFailed
from shared.schemas import MAX_OFFSET, StrictSchema, name_field, request_id_field

Id = fields.String(required=True, validate=validate.Length(min=1, max=80))
Name = name_field(100)
# `\Z`, not `$`: `$` also matches before a final newline, so "13800000000\n" would pass
PHONE = validate.Regexp(r"^1[0-9]{10}\Z", error="must be an 11-digit mainland mobile number")
ID_NUMBER = validate.Regexp(r"^[0-9]{17}[0-9Xx]\Z", error="must be an 18-character resident ID number")
ROLE_KEY = validate.Regexp(r"^[a-z_]{2,40}\Z", error="must be a role name")
Role = fields.String(required=True, validate=ROLE_KEY)
MAX_ROLES = 50  # roles a community may configure
MAX_LIST = 20  # skills or interests of one person
REF = validate.Length(max=80)  # an optional unit id


class EstateFacts(StrictSchema):
    has_property_company = fields.Boolean(required=True)
    property_company = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    property_contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class CommunityConfig(StrictSchema):
    levels = fields.List(fields.String(validate=validate.OneOf(list(LEVEL_RANK))),
                         validate=validate.Length(min=1, max=len(LEVEL_RANK)))
    roles = fields.Dict(keys=fields.String(validate=ROLE_KEY),
                        values=fields.List(fields.String(validate=validate.OneOf(list(LEVEL_RANK))),
                                           validate=validate.Length(max=len(LEVEL_RANK))),
                        validate=validate.Length(max=MAX_ROLES))


class CreateUnit(StrictSchema):
    request_id = request_id_field()
    parent_id = fields.String(load_default=None, allow_none=True, validate=REF)
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
    skills = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list,
                         validate=validate.Length(max=MAX_LIST))
    interests = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list,
                            validate=validate.Length(max=MAX_LIST))
    home_unit_id = fields.String(load_default=None, allow_none=True, validate=REF)


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
    role = fields.String(load_default=None, validate=ROLE_KEY)
    unit_id = fields.String(load_default=None, validate=REF)
    place_id = fields.String(load_default=None, validate=REF)
    person_ids = fields.List(fields.String(validate=REF), load_default=None, validate=validate.Length(min=1, max=200))
    party_member = fields.Boolean(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class ImportRoster(StrictSchema):
    """A roster file for a street or a community (`node_id`; `community_id` is its older name)."""

    request_id = request_id_field()
    node_id = fields.String(load_default=None, validate=validate.Length(min=1, max=80))
    community_id = fields.String(load_default=None, validate=validate.Length(min=1, max=80))
    filename = fields.String(required=True, validate=[validate.Length(max=200), validate.Regexp(
        r"^[^/\\\n]+\.(csv|xlsx)\Z", error="must be a file name ending in .csv or .xlsx")])
    content_base64 = fields.String(required=True, validate=validate.Length(min=1))
    job_id = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,60}\Z"))
    create_places = fields.Boolean(load_default=False)
    dry_run = fields.Boolean(load_default=False)

    @validates_schema
    def one_node(self, data, **kwargs):
        if data.get("node_id") and data.get("community_id"):
            raise ValidationError("give node_id or its older name community_id, not both", "community_id")
        if not (data.get("node_id") or data.get("community_id")):
            raise ValidationError("required: the street or community the roster is for", "node_id")

    @post_load
    def named_node(self, data, **kwargs):
        older = data.pop("community_id", None)
        return {**data, "node_id": data["node_id"] or older}


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


# Browsing and bulk creation (`browsing`, `bulk`, `labels`)
Limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
Offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class Children(StrictSchema):
    unit_id = Id
    include_retired = fields.Boolean(load_default=False)
    limit = Limit
    offset = Offset


class Appointments(StrictSchema):
    node_id = Id
    role = fields.String(load_default=None, validate=ROLE_KEY)
    status = fields.String(load_default=None, validate=validate.OneOf(["applicant", "screened", "appointed", "ended"]))
    include_descendants = fields.Boolean(load_default=True)
    limit = Limit
    offset = Offset


class NewUnit(StrictSchema):
    """One place of `create_units`, with the places below it."""

    name = Name
    level = fields.String(required=True, validate=validate.OneOf(list(LEVEL_RANK)))
    facts = fields.Nested(EstateFacts, load_default=None, allow_none=True)
    config = fields.Nested(CommunityConfig, load_default=None, allow_none=True)
    children = fields.List(fields.Nested(lambda: NewUnit()), load_default=list)

    @validates_schema
    def config_only_for_communities(self, data, **kwargs):
        CreateUnit.config_only_for_communities(self, data)


class CreateUnits(StrictSchema):
    request_id = request_id_field()
    parent_id = fields.String(load_default=None, allow_none=True, validate=REF)
    units = fields.List(fields.Nested(NewUnit), required=True, validate=validate.Length(min=1))

    def load_or_raise(self, data, **kwargs):
        """The tree's size is checked before it is parsed: no nesting can exhaust the parser."""
        too_big = plans.oversized(data.get("units")) if isinstance(data, dict) else None
        if too_big:
            raise ValidationFailed(f"invalid input (units: {too_big})", [{"field": "units", "reason": too_big}])
        return super().load_or_raise(data, **kwargs)


class FindPerson(StrictSchema):
    phone = fields.String(required=True, validate=PHONE)


AUDIT_DAYS = validate.Range(min=date(2000, 1, 1), max=date(9998, 12, 31), error="must be in the years 2000 to 9998")


class PiiReads(StrictSchema):
    date_from = fields.Date(required=True, validate=AUDIT_DAYS)
    date_to = fields.Date(required=True, validate=AUDIT_DAYS)
    who = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    limit = Limit
    offset = Offset

    @validates_schema
    def period_is_forward(self, data, **kwargs):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("must not be before date_from", "date_to")

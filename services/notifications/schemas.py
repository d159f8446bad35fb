"""Notifications' boundary: every RPC's arguments as a marshmallow schema that raises
`ValidationFailed` naming each field and reason."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from services.notifications.timing import URGENCIES
from services.notifications.windows import BadSchedule, Schedule
from shared.schemas import MAX_OFFSET, StrictSchema, request_id_field

Id = fields.String(required=True, validate=validate.Length(min=1, max=80))
OptionalId = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))
PHONE = validate.Regexp(r"^1[0-9]{10}\Z", error="must be an 11-digit mainland mobile number")
CODE = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}\Z", error="must be a code (small letters, digits, _)")
Limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=200))
Offset = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_OFFSET))
MAX_PEOPLE = 10_000
MESSAGE_STATES = ("queued", "sending", "sent", "folded", "parked")


class Audience(StrictSchema):
    """Exactly one of `people`, `node_id`, `residents_of`, `team_id`, `chain_of` (see `audiences`)."""

    people = fields.List(fields.String(validate=validate.Length(min=1, max=80)),
                         validate=validate.Length(min=1, max=MAX_PEOPLE))
    node_id = fields.String(validate=validate.Length(min=1, max=80))
    role = fields.String(validate=CODE)
    below = fields.Boolean()
    residents_of = fields.String(validate=validate.Length(min=1, max=80))
    team_id = fields.String(validate=validate.Length(min=1, max=80))
    skill = fields.String(validate=validate.Length(min=1, max=30))
    chain_of = fields.String(validate=validate.Length(min=1, max=80))
    levels = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))

    @validates_schema
    def one_kind(self, data, **kwargs):
        kinds = [k for k in ("people", "node_id", "residents_of", "team_id", "chain_of") if k in data]
        if len(kinds) != 1:
            raise ValidationError("give exactly one of people, node_id, residents_of, team_id, chain_of", "_schema")
        extras = {"node_id": {"role", "below"}, "team_id": {"skill"}, "chain_of": {"levels"}}.get(kinds[0], set())
        stray = sorted(set(data) - {kinds[0]} - extras)
        if stray:
            raise ValidationError(f"does not go with {kinds[0]}", stray[0])


def _field_values(value):
    if not isinstance(value, dict) or len(value) > 50:
        raise ValidationError("must be an object of at most 50 fields")
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 40:
            raise ValidationError("field names are 1 to 40 characters")
        if item is not None and not isinstance(item, str | int | float) or isinstance(item, bool):
            raise ValidationError(f"{key}: must be text or a number")
        if isinstance(item, str) and len(item) > 2000:
            raise ValidationError(f"{key}: at most 2000 characters")


class Notify(StrictSchema):
    to = fields.List(fields.Nested(Audience), required=True, validate=validate.Length(min=1, max=20))
    template = fields.String(load_default="notice", validate=CODE)
    fields_ = fields.Dict(data_key="fields", attribute="fields", load_default=dict, validate=_field_values)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(list(URGENCIES)))
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    request_id = request_id_field()


class NoticeRef(StrictSchema):
    notice_id = Id


class MessageRef(StrictSchema):
    message_id = Id


class ListMessages(StrictSchema):
    notice_id = Id
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(MESSAGE_STATES))
    limit = Limit
    offset = Offset


class Page(StrictSchema):
    limit = Limit
    offset = Offset


class ParkedMessages(Page):
    fell_back = fields.Boolean(load_default=False)


class InboxQuery(StrictSchema):
    person_id = OptionalId
    unread_only = fields.Boolean(load_default=False)
    limit = Limit
    offset = Offset


class MarkRead(StrictSchema):
    person_id = OptionalId
    item_ids = fields.List(fields.String(validate=validate.Length(min=1, max=80)), required=True,
                           validate=validate.Length(min=1, max=200))


class PersonRef(StrictSchema):
    person_id = OptionalId


class Addresses(StrictSchema):
    phone = fields.String(allow_none=True, validate=PHONE)
    email = fields.Email(allow_none=True, validate=validate.Length(max=200))
    wecom_user = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))


class SetPreferences(StrictSchema):
    person_id = OptionalId
    channels = fields.List(fields.String(validate=CODE), validate=validate.Length(max=10))
    addresses = fields.Nested(Addresses)
    windows = fields.Raw(allow_none=True)
    zone = fields.String(allow_none=True, validate=validate.Length(min=1, max=60))
    request_id = request_id_field()

    @validates("windows")
    def readable_windows(self, value, **kwargs):
        if value is None:
            return
        try:
            Schedule.read(value)
        except BadSchedule as bad:
            raise ValidationError(f"{bad.field}: {bad.reason}") from None

    @validates("zone")
    def known_zone(self, value, **kwargs):
        if value is None:
            return
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("is not a time zone (e.g. Asia/Shanghai)") from None


class Nothing(StrictSchema):
    pass



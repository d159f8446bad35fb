"""Hotline's boundary: the records platform adapters yield, and every RPC's arguments, as
marshmallow schemas that raise `ValidationFailed` naming each field and reason."""

from datetime import date

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from services.hotline.tickets import REQUEST_TYPES, STATE_LABELS, URGENCIES
from shared.errors import ValidationFailed
from shared.schemas import (
    LAST_YEAR,
    MAX_OFFSET,
    StrictSchema,
    flatten_messages,
    in_years,
    name_field,
    request_id_field,
    unstorable_strings,
)

Id = fields.String(required=True, validate=validate.Length(min=1, max=120))
TICKET_NO = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z",
                            error="must be a ticket number (letters, digits, - _ .)")
PHONE = validate.Regexp(r"^1[0-9]{10}\Z|^0[0-9]{2,3}-?[0-9]{7,8}\Z", error="must be a mobile or landline number")
def moment(required: bool = True) -> fields.AwareDateTime:
    kwargs = {"required": True} if required else {"load_default": None, "allow_none": True}
    return fields.AwareDateTime(validate=in_years, **kwargs)


class Lenient(Schema):
    """A platform's record: fields this service does not use are dropped, not refused."""

    class Meta:
        unknown = EXCLUDE


class Citizen(Lenient):
    name = name_field(50)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)


class TicketRecord(Lenient):
    kind = fields.String(required=True, validate=validate.Equal("ticket"))
    ticket_no = fields.String(required=True, validate=TICKET_NO)
    revision = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1_000_000))
    received_at = moment()
    request_type = fields.String(required=True, validate=validate.OneOf(REQUEST_TYPES))
    urgency = fields.String(load_default="一般", validate=validate.OneOf(list(URGENCIES)))
    citizen = fields.Nested(Citizen, required=True)
    content = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    address = fields.String(load_default="", validate=validate.Length(max=500))
    category = fields.String(load_default="", validate=validate.Length(max=100))
    area_code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    deadline = moment(required=False)


class SurveyRecord(Lenient):
    kind = fields.String(required=True, validate=validate.Equal("survey"))
    update_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ticket_no = fields.String(required=True, validate=TICKET_NO)
    at = moment()
    satisfied = fields.Boolean(required=True, truthy={True}, falsy={False})
    resolved = fields.Boolean(load_default=None, allow_none=True, truthy={True}, falsy={False})
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ReworkRecord(Lenient):
    kind = fields.String(required=True, validate=validate.Equal("rework"))
    update_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ticket_no = fields.String(required=True, validate=TICKET_NO)
    at = moment()
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


RECORDS = {"ticket": TicketRecord(), "survey": SurveyRecord(), "rework": ReworkRecord()}


def read_record(record) -> dict:
    """The record checked and typed; `ValidationFailed` naming each field and reason otherwise
    (the sync parks it with them)."""
    if not isinstance(record, dict):
        raise ValidationFailed("a record must be an object", [{"field": "_schema", "reason": "not an object"}])
    if record.get("kind") == "unreadable":
        raise ValidationFailed("the adapter could not read the platform's item",
                               [{"field": "_schema", "reason": str(record.get("reason") or "unreadable")[:500]}])
    schema = RECORDS.get(record.get("kind"))
    if schema is None:
        raise ValidationFailed("unknown record kind",
                               [{"field": "kind", "reason": f"must be one of: {', '.join(RECORDS)}"}])
    unstorable = unstorable_strings(record)
    if unstorable:
        raise ValidationFailed("the record holds text that cannot be stored", unstorable)
    try:
        loaded = schema.load(record)
    except ValidationError as exc:
        details = flatten_messages(exc.messages)
        raise ValidationFailed("invalid record (" + ", ".join(f"{d['field']}: {d['reason']}" for d in details) + ")",
                               details) from None
    if loaded.get("resolved") is None and loaded["kind"] == "survey":
        loaded["resolved"] = loaded["satisfied"]
    return loaded


Limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=200))
Offset = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_OFFSET))
PlatformName = fields.String(required=True, validate=validate.Length(min=1, max=50))


#: Local days (Asia/Shanghai) whose first moment the database can store: not 0001-01-01 (its
#: midnight is the year 0 in UTC).
LOCAL_DAY = validate.Range(min=date(1, 1, 2), max=date(LAST_YEAR, 12, 31))
#: At most about 20 MB of workbook, in base64's own alphabet (anything else would only grow the message).
BASE64 = [validate.Length(min=1, max=28_000_000),
          validate.Regexp(r"^[A-Za-z0-9+/]*={0,2}\Z", error="is not valid base64")]


class Nothing(StrictSchema):
    pass


class PlatformRef(StrictSchema):
    platform = PlatformName


class ImportTickets(StrictSchema):
    platform = PlatformName
    content_base64 = fields.String(required=True, validate=BASE64)
    filename = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    request_id = request_id_field()


class TicketRef(StrictSchema):
    ticket_id = Id


class ListTickets(StrictSchema):
    platform = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(STATE_LABELS)))
    node_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120))
    limit = Limit
    offset = Offset


class ReturnTicket(StrictSchema):
    ticket_id = Id
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    request_id = request_id_field()


class ParkedQuery(StrictSchema):
    platform = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["record", "call"]))
    limit = Limit


class Replay(StrictSchema):
    parked_id = Id
    request_id = request_id_field()


class ManualCalls(StrictSchema):
    platform = PlatformName
    limit = fields.Integer(load_default=200, strict=True, validate=validate.Range(min=1, max=2000))


class ConfirmEntered(StrictSchema):
    call_id = Id
    granted = fields.Boolean(load_default=None, allow_none=True, truthy={True}, falsy={False})
    deadline = moment(required=False)
    request_id = request_id_field()


class Period(StrictSchema):
    platform = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))
    node_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120))
    date_from = fields.Date(required=True, validate=LOCAL_DAY)
    date_to = fields.Date(required=True, validate=LOCAL_DAY)

    @validates_schema
    def from_before_to(self, data, **kwargs):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("must not be before date_from", "date_to")


class Reconcile(Period):
    platform = PlatformName

"""The gateway's own inputs: the keys ops issue (the case operations take the services' own
schemas, imported where they are served)."""

from marshmallow import fields, validate

from shared.rights import ROLES
from shared.schemas import StrictSchema, name_field

#: the roles a key may act as: any but `system`, which is the services' own (a key naming a
#: service as its `who` would read as that service reads)
KEY_ROLES = tuple(role for role in ROLES if role != "system")

MAX_PER_MINUTE = 100_000


class IssueKey(StrictSchema):
    name = name_field(100)  # the calling system, as ops know it: "区综治平台", "FixMyStreet"
    who = fields.String(required=True, validate=validate.Length(min=1, max=80))
    role = fields.String(required=True, validate=validate.OneOf(KEY_ROLES))
    node_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))
    per_minute = fields.Integer(load_default=600, strict=True, validate=validate.Range(min=1, max=MAX_PER_MINUTE))
    #: this key's actor also answers Open311 reads that come without a key (public, as FixMyStreet's)
    public_reads = fields.Boolean(load_default=False)


class KeyRef(StrictSchema):
    key_id = fields.String(required=True, validate=validate.Length(min=1, max=40))



class ErrorInner(StrictSchema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    message_zh = fields.String()
    details = fields.List(fields.Dict(), required=True)


class ErrorAnswer(StrictSchema):
    """Every error of the JSON API: `{"error": {code, message, message_zh, details}}`."""

    error = fields.Nested(ErrorInner, required=True)

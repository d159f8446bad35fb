"""Cases' boundary: every RPC argument set and every result, as marshmallow schemas."""

from datetime import date
from functools import cache

from marshmallow import ValidationError, fields, validate, validates_schema

from services.cases.lifecycle import COMMANDS
from services.cases.meetings import households_attending
from services.cases.routing import PARTY_KINDS
from services.cases.taxonomy import CHANNELS, PLACES, URGENCIES
from shared.schemas import LAST_YEAR, MAX_OFFSET, StrictSchema, in_years, name_field, request_id_field

Id = fields.String(required=True, validate=validate.Length(min=1, max=80))
Text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
Note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
# `\Z`, not `$`: `$` also matches before a final newline, so "13800000000\n" would pass
PHONE = validate.Regexp(r"^1[0-9]{10}\Z|^0[0-9]{2,3}-?[0-9]{7,8}\Z", error="must be a mobile or landline number")
Photos = fields.List(fields.String(validate=validate.Length(min=1, max=300)), load_default=list,
                     validate=validate.Length(max=20))
CATEGORY_CODE = validate.Regexp(r"^[a-z_]{2,40}\Z", error="must be a category code")

MAX_COUNT = 100_000  # households or votes in one meeting (as `eligible`)
MAX_ITEM = 99  # agenda items of one meeting
MAX_VOTES = 5000  # vote rows recorded for one meeting
MAX_CASES_PER_ITEM = 50  # cases linked to one agenda item
MAX_STATES = 20  # states one search asks for
DAY = validate.Range(min=date(1, 1, 1), max=date(LAST_YEAR, 12, 31), error=f"must be in the years 1 to {LAST_YEAR}")


class Reporter(StrictSchema):
    name = name_field(50)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    household = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class Report(StrictSchema):
    channel = fields.String(required=True, validate=validate.OneOf(list(CHANNELS)))
    reporter = fields.Nested(Reporter, required=True)
    unit_id = Id
    category = fields.String(required=True, validate=CATEGORY_CODE)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(list(URGENCIES)))
    place = fields.String(load_default="shared", validate=validate.OneOf(list(PLACES)))
    description = Text
    photos = Photos
    external_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    request_id = request_id_field()

    @validates_schema
    def hotline_needs_ticket(self, data, **kwargs):
        if data["channel"] == "hotline" and not data.get("external_ref"):
            raise ValidationError("a hotline case needs its ticket number", "external_ref")


class CaseRef(StrictSchema):
    case_id = Id


class CaseCommand(CaseRef):
    request_id = request_id_field()


class WithNote(CaseCommand):
    note = Note


class Result(CaseCommand):
    result = Text
    meeting_note = Note  # why a linked meeting was never recorded (e.g. 会议未召开，因…); required then


class Reason(CaseCommand):
    reason = Text


class Triage(CaseCommand):
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY_CODE)
    urgency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(URGENCIES)))
    note = Note


class Party(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(PARTY_KINDS))
    name = name_field(100)
    party_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))


class Dispatch(CaseCommand):
    assignee = fields.Nested(Party, required=True)
    co_handlers = fields.List(fields.Nested(Party), load_default=list, validate=validate.Length(max=10))
    note = Note


class Progress(CaseCommand):
    note = Text
    site_visit = fields.Boolean(load_default=False)
    photos = Photos


class MediationParty(StrictSchema):
    name = name_field(50)
    household = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    side = fields.String(required=True, validate=validate.OneOf(["claimant", "respondent"]))


class Mediate(CaseCommand):
    mediator = name_field(50)
    parties = fields.List(fields.Nested(MediationParty), required=True, validate=validate.Length(min=2, max=10))
    agreement = Text
    compensation_fen = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=10**10))
    agreed = fields.Boolean(load_default=True)


class Evaluate(CaseCommand):
    satisfied = fields.Boolean(required=True)
    reason = Note
    comment = Note
    on_behalf_of_reporter = Note  # staff or a leader recording the reporter's verdict: how it was obtained


class RequestExtension(CaseCommand):
    working_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=30))
    reason = Text


class DecideExtension(CaseCommand):
    granted = fields.Boolean(required=True)
    note = Note


class MarkDuplicate(CaseCommand):
    duplicate_of = Id


class Search(StrictSchema):
    node_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))
    state = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=None, allow_none=True,
                        validate=validate.Length(max=MAX_STATES))
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY_CODE)
    overdue = fields.Boolean(load_default=None, allow_none=True)
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_OFFSET))


class Stats(StrictSchema):
    node_id = Id
    date_from = fields.Date(load_default=None, allow_none=True, validate=DAY)  # default: this month's first day
    date_to = fields.Date(load_default=None, allow_none=True, validate=DAY)  # default: today (local days)

    @validates_schema
    def period_in_order(self, data, **kwargs):
        if data.get("date_from") is None or data.get("date_to") is None:
            return  # defaults are checked once filled in
        if data["date_to"] < data["date_from"]:
            raise ValidationError("must not be before date_from", "date_to")
        if (data["date_to"] - data["date_from"]).days > 3660:
            raise ValidationError("a period is at most ten years", "date_to")


class AgendaItem(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    case_ids = fields.List(fields.String(validate=validate.Length(min=1, max=80)), load_default=list,
                           validate=validate.Length(max=MAX_CASES_PER_ITEM))


class Invitee(StrictSchema):
    name = name_field(50)
    role = fields.String(required=True, validate=validate.OneOf(["official", "household"]))
    household = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    person_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))

    @validates_schema
    def household_named(self, data, **kwargs):
        if data["role"] == "household" and not data.get("household"):
            raise ValidationError("an invited household names its household", "household")


class ScheduleMeeting(StrictSchema):
    request_id = request_id_field()
    node_id = Id
    kind = fields.String(load_default="building", validate=validate.OneOf(["building", "bench", "community"]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scheduled_at = fields.AwareDateTime(required=True, validate=in_years)
    invitees = fields.List(fields.Nested(Invitee), load_default=list, validate=validate.Length(max=2000))
    agenda = fields.List(fields.Nested(AgendaItem), required=True, validate=validate.Length(min=1, max=20))

    @validates_schema
    def households_invited_once(self, data, **kwargs):
        households = [i["household"] for i in data.get("invitees") or () if i["role"] == "household"]
        if len(set(households)) != len(households):
            raise ValidationError("each household once", "invitees")


class Attendee(StrictSchema):
    name = name_field(50)
    role = fields.String(required=True, validate=validate.OneOf(
        ["party_branch", "owners_committee", "property_company", "leader", "resident", "community"]))
    household = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class Vote(StrictSchema):
    item = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_ITEM))
    votes_for = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_COUNT))
    votes_against = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_COUNT))
    abstain = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_COUNT))


class CostSplit(StrictSchema):
    item = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_ITEM))
    total_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**10))
    households = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                             validate=validate.Length(min=1, max=2000))

    @validates_schema
    def households_distinct(self, data, **kwargs):
        if len(set(data["households"])) != len(data["households"]):
            raise ValidationError("each household once", "households")


class RecordMeeting(StrictSchema):
    request_id = request_id_field()
    meeting_id = Id
    held_at = fields.AwareDateTime(load_default=None, allow_none=True, validate=in_years)  # default: now
    # eligible households; default: the households invited
    eligible = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=MAX_COUNT))
    attendees = fields.List(fields.Nested(Attendee), required=True, validate=validate.Length(min=1, max=2000))
    votes = fields.List(fields.Nested(Vote), required=True, validate=validate.Length(max=MAX_VOTES))
    minutes = Text
    decision = Text
    cost_split = fields.Nested(CostSplit, load_default=None, allow_none=True)

    @validates_schema
    def votes_fit_attendance(self, data, **kwargs):
        """Households vote, one vote each; officials attend without voting or counting."""
        households = len(households_attending(data["attendees"]))
        for vote in data["votes"]:
            if vote["votes_for"] + vote["votes_against"] + vote["abstain"] > households:
                raise ValidationError("more votes than households attending", "votes")
        if data.get("eligible") is not None and households > data["eligible"]:
            raise ValidationError("more households attending than eligible", "attendees")


class RecordPayment(StrictSchema):
    request_id = request_id_field()
    meeting_id = Id
    household = fields.String(required=True, validate=validate.Length(min=1, max=100))
    keys_handed_over = fields.Boolean(load_default=True)


class MeetingRef(StrictSchema):
    meeting_id = Id


@cache
def for_command(command: str) -> StrictSchema:
    """The input schema a case command's declaration names (`lifecycle.COMMANDS`)."""
    name = COMMANDS[command].schema
    if name is None:
        raise LookupError(f"{command} is the service's own command: it has no input schema")
    return globals()[name]()

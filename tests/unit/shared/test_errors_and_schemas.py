"""Structured errors across RPC and the strict marshmallow base schema."""

import json

import pytest
from marshmallow import fields, validate
from nameko.exceptions import deserialize, serialize

from services.rosters.exceptions import UnitNotFound
from shared.errors import Forbidden, LinliError, NotFound, ValidationFailed, field_error
from shared.schemas import StrictSchema, flatten_messages


def test_str_of_an_error_is_json_with_code_message_and_details():
    error = UnitNotFound("no unit 金昌花园 9栋", [{"field": "unit_id", "reason": "not found"}])

    parsed = json.loads(str(error))

    assert parsed == {"code": "not_found", "message": "no unit 金昌花园 9栋",
                      "message_zh": "没有找到要操作的对象：单元（unit_id）不存在。",
                      "details": [{"field": "unit_id", "reason": "not found", "reason_zh": "单元（unit_id）不存在"}]}


def test_an_error_without_details_has_an_empty_list():
    error = Forbidden("康早新 (unit_leader) may not act on unit_lianfu")

    assert error.details == []
    assert json.loads(str(error))["details"] == []


def test_field_error_names_one_field_and_its_reason():
    error = field_error("phone", "must be an 11-digit mainland mobile number")

    assert isinstance(error, ValidationFailed)
    assert error.fields == {"phone": "must be an 11-digit mainland mobile number"}
    assert error.message == "phone: must be an 11-digit mainland mobile number"


def test_a_rosters_error_survives_nameko_serialisation_as_its_own_class():
    error = UnitNotFound("no unit unit_9", [{"field": "unit_id", "reason": "not found"}])

    back = deserialize(serialize(error))

    assert type(back) is UnitNotFound
    assert isinstance(back, NotFound) and isinstance(back, LinliError)
    assert back.details == [{"field": "unit_id", "reason": "not found", "reason_zh": "单元（unit_id）不存在"}]
    assert back.message == "no unit unit_9"
    assert back.message_zh == error.message_zh == "没有找到要操作的对象：单元（unit_id）不存在。"
    assert json.loads(str(back))["code"] == "not_found"


def test_flatten_messages_turns_nested_messages_into_field_reason_pairs():
    messages = {
        "name": ["Missing data for required field."],
        "facts": {"property_contact": ["Not a valid string.", "Too long."]},
        "entries": {0: {"person_id": ["Missing data for required field."]}},
        "_schema": ["must be after the term start"],
    }

    flat = flatten_messages(messages)

    assert flat == [
        {"field": "name", "reason": "Missing data for required field."},
        {"field": "facts.property_contact", "reason": "Not a valid string.; Too long."},
        {"field": "entries.0.person_id", "reason": "Missing data for required field."},
        {"field": "_schema", "reason": "must be after the term start"},
    ]


def test_flatten_messages_of_a_plain_string_names_the_schema():
    assert flatten_messages("broken") == [{"field": "_schema", "reason": "broken"}]


class Person(StrictSchema):
    name = fields.String(required=True)
    phone = fields.String(required=True, validate=validate.Regexp(r"^1\d{10}$"))


def test_load_or_raise_returns_the_loaded_data():
    person = Person().load_or_raise({"name": "康早新", "phone": "13807310004"})

    assert person == {"name": "康早新", "phone": "13807310004"}


def test_load_or_raise_rejects_an_unknown_field_by_name():
    with pytest.raises(ValidationFailed) as raised:
        Person().load_or_raise({"name": "康早新", "phone": "13807310004", "colour": "red"})

    assert "colour" in raised.value.fields
    assert "colour" in raised.value.message


def test_load_or_raise_reports_every_bad_field():
    with pytest.raises(ValidationFailed) as raised:
        Person().load_or_raise({"phone": "1380731"})

    assert set(raised.value.fields) == {"name", "phone"}


@pytest.mark.parametrize("payload", [["康早新"], "康早新", None, 42])
def test_load_or_raise_rejects_a_payload_that_is_not_an_object(payload):
    with pytest.raises(ValidationFailed) as raised:
        Person().load_or_raise(payload)

    assert raised.value.details == [{"field": "_schema", "reason": "not an object",
                                     "reason_zh": "请求内容必须是一个对象"}]


def test_load_or_raise_accepts_a_list_when_loading_many():
    people = Person().load_or_raise([{"name": "康早新", "phone": "13807310004"}], many=True)

    assert people == [{"name": "康早新", "phone": "13807310004"}]


class _Report(StrictSchema):
    description = fields.String(required=True)
    reporter = fields.Dict(required=True)
    photos = fields.List(fields.String(), load_default=list)


def test_strings_that_are_not_valid_unicode_text_are_refused_naming_each_field_at_any_depth():
    report = {"description": "2栋下水道堵塞\ud800", "reporter": {"name": "王\x00大爷", "phone": "13900001111"},
              "photos": ["ok.jpg", "\udfff.jpg"]}

    with pytest.raises(ValidationFailed) as refused:
        _Report().load_or_raise(report)

    assert [{k: d[k] for k in ("field", "reason")} for d in refused.value.details] == [
        {"field": "description", "reason": "is not valid Unicode (a lone surrogate)"},
        {"field": "reporter.name", "reason": "contains a NUL character"},
        {"field": "photos.1", "reason": "is not valid Unicode (a lone surrogate)"},
    ]


def test_chinese_text_and_emoji_pass():
    report = {"description": "金昌花园2栋下水道堵塞 🚰", "reporter": {"name": "康师傅"}}

    assert _Report().load_or_raise(report)["description"] == "金昌花园2栋下水道堵塞 🚰"

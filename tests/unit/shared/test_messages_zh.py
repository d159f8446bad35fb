"""Every error reads in Chinese too: a sentence per code, each detail's reason translated or,
when it has no translation, still a Chinese sentence naming the field; and both survive
nameko's serialisation, also for a caller that does not know the error's class."""

import json

import pytest
from nameko.exceptions import RemoteError, deserialize, serialize

import services.cases.exceptions
import services.rosters.exceptions
import shared.consuming.runner
import shared.resilience  # noqa: F401 - every module that declares an error class, so all are walked below
from shared import messages_zh
from shared.errors import LinliError, NotFound, ValidationFailed, field_error, remote_code
from shared.messages_zh import CODE_SENTENCES, message_zh, reason_phrase, reason_zh


def every_error_class() -> list[type[LinliError]]:
    found, pending = [], [LinliError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_error_code_has_a_chinese_sentence():
    codes = {cls.code for cls in every_error_class()}

    assert codes <= set(CODE_SENTENCES), codes - set(CODE_SENTENCES)
    assert {"invalid", "not_found", "conflict", "forbidden", "invalid_transition", "unavailable"} <= codes
    assert all(is_chinese(sentence) for sentence in CODE_SENTENCES.values())


@pytest.mark.parametrize("cls", every_error_class(), ids=lambda cls: cls.__name__)
def test_every_error_class_reads_as_a_chinese_sentence(cls):
    error = cls("something went wrong")

    assert is_chinese(error.message_zh) and error.message_zh.endswith("。")
    assert json.loads(str(error))["message_zh"] == error.message_zh


# English reason, its Chinese (said after the field's name)
COMMON_REASONS = [
    ("Missing data for required field.", "为必填项"),
    ("Unknown field.", "不是可以提交的字段"),
    ("Not a valid string.", "必须是文本"),
    ("Not a valid integer.", "必须是整数"),
    ("Field may not be null.", "不能为空值（null）"),
    ("Longer than maximum length 100.", "长度或条数不能超过 100"),
    ("Length must be between 1 and 50.", "长度或条数必须在 1 到 50 之间"),
    ("Must be greater than or equal to 0 and less than or equal to 200.", "必须在 0 到 200 之间"),
    ("Must be less than or equal to 100000.", "不能大于 100000"),
    ("Must be one of: building, unit.", "必须是以下之一：楼栋、单元"),
    ("Must be one of: claimant, respondent.", "必须是以下之一：claimant、respondent"),
    ("is not valid base64", "不是有效的 base64 编码"),
    ("the target is outside it", "不包含要操作的对象"),
    ("is resolved", "为已办结（resolved），不允许此操作"),
    ("is held", "为已召开（held），不允许此操作"),
    ("is ended; allowed: nothing", "为已结束（ended），只允许：无"),
    ("must not be blank", "不能为空或只含空白"),
    ("is already the name of a sibling", "与同一上级下的另一单位重名"),
    ("Length must be between 1 and 100.; must not be blank", "长度或条数必须在 1 到 100 之间，不能为空或只含空白"),
]


@pytest.mark.parametrize(("reason", "chinese"), COMMON_REASONS, ids=[r for r, _ in COMMON_REASONS])
def test_common_reasons_are_translated(reason, chinese):
    assert reason_phrase(reason) == chinese


def test_a_detail_names_its_field_in_chinese_and_in_code():
    assert reason_zh("reporter.phone", "must be a mobile or landline number") == \
        "电话（reporter.phone）必须是手机号码或固定电话号码"
    assert reason_zh("votes.0.item", "Not a valid integer.") == "议程项（votes.0.item）必须是整数"
    assert reason_zh("_schema", "not an object") == "请求内容必须是一个对象"


def test_a_reason_without_translation_still_gives_a_chinese_sentence_naming_the_field():
    assert reason_phrase("the moon is in the wrong phase") is None
    assert reason_zh("colour", "the moon is in the wrong phase") == "字段「colour」的值不符合要求"
    assert reason_zh("name", "the moon is in the wrong phase") == "名称（name）的值不符合要求"


def test_every_detail_of_an_error_gets_its_reason_in_chinese_and_keeps_the_rest():
    error = ValidationFailed("invalid input", [{"field": "phone", "reason": "Missing data for required field."},
                                               {"field": "status", "reason": "is ended; allowed: nothing",
                                                "current_state": "ended"}])

    assert [(d["field"], d["reason"], d["reason_zh"]) for d in error.details] == [
        ("phone", "Missing data for required field.", "电话（phone）为必填项"),
        ("status", "is ended; allowed: nothing", "状态（status）为已结束（ended），只允许：无")]
    assert error.details[1]["current_state"] == "ended"
    assert error.fields == {"phone": "Missing data for required field.", "status": "is ended; allowed: nothing"}
    assert error.message_zh == "提交的内容有误：电话（phone）为必填项；状态（status）为已结束（ended），只允许：无。"


def test_a_chinese_reason_given_by_whoever_raises_the_error_is_kept():
    error = NotFound("no such thing", [{"field": "unit_id", "reason": "not found", "reason_zh": "这栋楼已拆除"}])

    assert error.details[0]["reason_zh"] == "这栋楼已拆除"
    assert error.message_zh == "没有找到要操作的对象：这栋楼已拆除。"


def test_a_message_names_the_first_few_details_and_counts_them_all():
    details = [{"field": f"f{n}", "reason": "Unknown field."} for n in range(8)]

    sentence = message_zh("invalid", ValidationFailed("x", details).details)

    assert sentence.count("不是可以提交的字段") == messages_zh.MOST_SHOWN
    assert sentence.endswith("等8项。")


def test_message_zh_and_reason_zh_survive_nameko_serialisation():
    error = field_error("phone", "must be an 11-digit mainland mobile number")

    back = deserialize(serialize(error))

    assert type(back) is ValidationFailed
    assert back.message_zh == error.message_zh == "提交的内容有误：电话（phone）必须是 11 位大陆手机号码。"
    assert back.details == error.details


def test_a_caller_without_the_error_class_reads_message_zh_and_reason_zh_from_the_remote_error():
    error = services.rosters.exceptions.UnitNotFound("no unit unit_9", [{"field": "unit_id", "reason": "not found"}])
    data = {**serialize(error), "exc_path": "elsewhere.UnitNotFound"}  # a class this caller never imported

    back = deserialize(data)

    assert isinstance(back, RemoteError) and remote_code(back) == "not_found"
    parsed = json.loads(back.value)
    assert parsed["message_zh"] == "没有找到要操作的对象：单元（unit_id）不存在。"
    assert parsed["details"][0]["reason_zh"] == "单元（unit_id）不存在"


def test_errors_of_every_service_are_walked():
    names = {cls.__name__ for cls in every_error_class()}

    assert {"UnitNotFound", "SiblingNameTaken", "CaseNotFound", "AlreadyPaid", "UnknownHandler",
            "Unavailable"} <= names
    assert services.cases.exceptions.AlreadyPaid.code == "conflict"
    assert shared.consuming.runner.UnknownHandler.code == "not_found"

"""A caller of `ClusterRpcProxy` reads every error in Chinese too: `message_zh` on the error
and `reason_zh` on each detail, as the service made them, over the real broker."""

import json

import pytest

import services.rosters.exceptions  # noqa: F401 - maps rosters' own errors back to their classes
from services.rosters.demo import find_place
from services.rosters.exceptions import SiblingNameTaken, UnitNotFound
from shared.errors import ValidationFailed


def test_a_refused_phone_arrives_with_a_chinese_message_and_reason(rosters, demo):
    with pytest.raises(ValidationFailed) as refused:
        rosters.register_person(name="王五", phone="13807310099\n")

    assert refused.value.message_zh == "提交的内容有误：电话（phone）必须是 11 位大陆手机号码。"
    assert refused.value.details == [{"field": "phone", "reason": "must be an 11-digit mainland mobile number",
                                      "reason_zh": "电话（phone）必须是 11 位大陆手机号码"}]
    assert json.loads(str(refused.value))["message_zh"] == refused.value.message_zh


def test_a_unit_nobody_has_arrives_as_not_found_in_chinese(rosters, demo):
    with pytest.raises(UnitNotFound) as missing:
        rosters.get_unit(unit_id="unit_nowhere")

    assert missing.value.message_zh == "没有找到要操作的对象：单元（unit_id）不存在。"
    assert missing.value.details[0]["reason_zh"] == "单元（unit_id）不存在"


def test_a_name_a_sibling_bears_arrives_as_a_conflict_in_chinese(rosters, demo):
    with pytest.raises(SiblingNameTaken) as clash:
        rosters.create_unit(parent_id=find_place(demo, "嘉园社区/金昌花园"), name="２栋", level="building")

    assert clash.value.code == "conflict"
    assert clash.value.message_zh == "与当前数据冲突：名称（name）与同一上级下的另一单位重名。"


def test_every_detail_of_a_refusal_has_its_own_chinese_reason(rosters, demo):
    with pytest.raises(ValidationFailed) as refused:
        rosters.register_person(name=" ", phone="1380731", colour="red")

    assert {d["field"]: d["reason_zh"] for d in refused.value.details} == {
        "name": "名称（name）不能为空或只含空白",
        "phone": "电话（phone）必须是 11 位大陆手机号码",
        "colour": "字段「colour」不是可以提交的字段"}
    assert refused.value.message_zh.startswith("提交的内容有误：")

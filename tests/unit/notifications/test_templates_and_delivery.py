"""Messages rendered in Chinese with numbers masked; a message's way through its channels:
retried with backoff and jitter, passed to the next channel, parked, replayed."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications import delivery
from services.notifications.templates import TEMPLATES, BadTemplate, check_catalogue, digest, masked, render
from shared.retrying import RetryPolicy

NOW = datetime(2026, 12, 1, 5, tzinfo=UTC)
POLICY = RetryPolicy(attempts=4, first=timedelta(seconds=2), most=timedelta(seconds=30), jitter=0.5)
NEEDS = {"sms": "phone", "email": "email", "wecom_robot": None, "wecom_app": "wecom_user"}


def test_a_case_template_is_filled_with_the_cases_fields_and_numbers_are_masked():
    message = render(TEMPLATES, "case_dispatched", {
        "place": "金昌花园2栋1单元", "category_label": "邻里纠纷", "urgency_label": "一般", "assignee": "爱\"嘉\"团",
        "case_id": "case_1", "description": "楼上漏水，联系13900001111，身份证430102199001011234"})

    assert message.title == "新派单：邻里纠纷"
    assert "139****1111" in message.body and "4301**********1234" in message.body
    assert "13900001111" not in message.body and "430102199001011234" not in message.body


def test_an_unknown_template_or_a_missing_field_is_named():
    with pytest.raises(BadTemplate) as unknown:
        render(TEMPLATES, "no_such", {})
    with pytest.raises(BadTemplate) as missing:
        render(TEMPLATES, "notice", {"title": "停水通知"})

    assert (unknown.value.field, missing.value.field) == ("template", "fields.body")


def test_masking_leaves_other_numbers_alone():
    text = "事件编号 20261201001，金额 12345678，电话 15807310002"

    assert masked(text) == "事件编号 20261201001，金额 12345678，电话 158****0002"


def test_a_digest_counts_and_lists_its_messages():
    many = digest([f"消息{n}" for n in range(1, 24)])

    assert many.title == "您有 23 条新消息"
    assert many.body.splitlines()[0] == "1. 消息1" and many.body.splitlines()[-1] == "……另有 3 条"


def test_templates_from_config_are_checked():
    with pytest.raises(BadTemplate) as bad:
        check_catalogue({"x": {"title": "{unclosed"}})

    assert bad.value.field == "TEMPLATES.x"
    assert check_catalogue({"x": {"title": "{a}", "body": "{b}"}}) == {"x": {"title": "{a}", "body": "{b}"}}


def test_channels_follow_the_persons_order_and_need_their_address():
    addresses = {"phone": "13900001111", "wecom_user": ""}

    assert delivery.channels_for(["wecom_app", "inbox", "email", "sms", "wecom_robot", "sms", "fax"],
                                 addresses, NEEDS) == ["sms", "wecom_robot"]


def test_the_backoff_doubles_from_the_first_wait_up_to_the_cap_with_jitter():
    rng = random.Random(7)
    waits = [POLICY.wait(n, rng).total_seconds() for n in range(1, 7)]

    assert all(low <= w <= low * 1.5 for w, low in zip(waits, [2, 4, 8, 16, 30, 30], strict=True))
    assert len({round(w, 6) for w in waits}) == 6


def message(**fields) -> dict:
    return {"_id": "msg_1", "state": "sending", "channels": ["sms", "wecom_robot"], "channel": "sms",
            "attempts": [], "failures": {}, **fields}


def apply(doc: dict, outcome: delivery.Outcome) -> dict:
    doc = {**doc, "attempts": [*doc["attempts"], outcome.attempt], "failures": dict(doc["failures"])}
    for key, value in outcome.set.items():
        if key.startswith("failures."):
            doc["failures"][key.split(".", 1)[1]] = value
        else:
            doc[key] = value
    return doc


def test_a_channel_failing_three_times_then_recovering_sends_once():
    doc = message()
    for _ in range(3):
        doc = apply(doc, delivery.failed(doc, "sms", "HTTP 503", True, NOW, POLICY))
        assert doc["state"] == "queued" and doc["channel"] == "sms" and doc["due_at"] > NOW
    doc = apply(doc, delivery.sent(doc, "sms", NOW, "r-1"))

    assert (doc["state"], doc["channel_used"]) == ("sent", "sms")
    assert delivery.status_of(doc)["attempts"] == 4 and delivery.status_of(doc)["failed"] == 3


def test_a_channel_failing_for_good_falls_back_to_the_next_and_logs_the_first_as_given_up():
    doc = apply(message(), delivery.failed(message(), "sms", "HTTP 400 bad number", False, NOW, POLICY))

    assert (doc["state"], doc["channel"], doc["due_at"]) == ("queued", "wecom_robot", NOW)
    assert doc["attempts"][-1]["gave_up"] is True and doc["attempts"][-1]["outcome"] == "refused"


def test_temporary_failures_past_the_attempts_fall_back_too_and_the_last_channel_parks():
    doc = message()
    for _ in range(POLICY.attempts):
        doc = apply(doc, delivery.failed(doc, doc["channel"], "timeout", True, NOW, POLICY))
    assert doc["channel"] == "wecom_robot" and doc["state"] == "queued"
    outcome = delivery.failed(doc, "wecom_robot", "errcode 93000 invalid webhook", False, NOW, POLICY)
    doc = apply(doc, outcome)

    assert doc["state"] == "parked" and doc["reason"] == "wecom_robot: errcode 93000 invalid webhook"
    assert outcome.event == "notice_failed"
    replayed = {**doc, **delivery.replayed(doc, NOW)}
    assert (replayed["state"], replayed["channel"], replayed["failures"]) == ("queued", "sms", {})

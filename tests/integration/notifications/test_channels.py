"""Each channel against a local stand-in of its provider, over real sockets: what it sends, and
how each failure is told apart (try again later, or give up on this channel)."""

import pytest

from services.notifications.channel import Outgoing, PermanentFailure, TemporaryFailure
from services.notifications.channels.any_service import AnyService
from services.notifications.channels.dingtalk import DingTalkRobot
from services.notifications.channels.mail import Email
from services.notifications.channels.sms import Sms
from services.notifications.channels.wecom import WeComApp, WeComRobot

MESSAGE = Outgoing("msg_1", "p1", "康早新", None, "13807310001", "新派单：邻里纠纷",
                   "金昌花园8栋1单元的邻里纠纷事件已派给您。", "normal")


def to(address: str | None) -> Outgoing:
    return Outgoing(**{**MESSAGE.__dict__, "address": address})


def test_sms_posts_the_number_the_text_and_the_idempotency_key(endpoints):
    receipt = Sms(endpoints.channels()["sms"]).send(to("13807310001"))

    [request] = endpoints.received("/sms")
    assert request["body"] == {"id": "msg_1", "to": "13807310001", "text": "【新派单：邻里纠纷】\n" + MESSAGE.body}
    assert request["headers"]["Idempotency-Key"] == "msg_1"
    assert request["headers"]["Authorization"] == "Bearer sms-token"
    assert receipt.startswith("sms-")


@pytest.mark.parametrize("answer, failure", [(503, TemporaryFailure), (429, TemporaryFailure),
                                             (400, PermanentFailure), (401, PermanentFailure)])
def test_sms_failures_are_told_apart_by_status(endpoints, answer, failure):
    endpoints.fail("/sms", answer)

    with pytest.raises(failure):
        Sms(endpoints.channels()["sms"]).send(to("13807310001"))


def test_a_provider_that_does_not_answer_is_a_temporary_failure(endpoints):
    with pytest.raises(TemporaryFailure):
        Sms({"url": "http://127.0.0.1:9/sms", "timeout_seconds": 1}).send(to("13807310001"))


def test_the_wecom_robot_mentions_the_person_and_reads_errcode_not_only_the_status(endpoints):
    robot = WeComRobot(endpoints.channels()["wecom_robot"])
    robot.send(MESSAGE)
    endpoints.fail("/cgi-bin/webhook/send", {"errcode": 45009, "errmsg": "api freq out of limit"},
                   {"errcode": 93000, "errmsg": "invalid webhook url"})

    with pytest.raises(TemporaryFailure):
        robot.send(MESSAGE)
    with pytest.raises(PermanentFailure):
        robot.send(MESSAGE)

    first = endpoints.received("/cgi-bin/webhook/send")[0]
    assert first["query"] == {"key": "robot-key"}
    assert first["body"]["text"]["mentioned_mobile_list"] == ["13807310001"]


def test_wecom_application_messages_fetch_a_token_once_and_again_when_it_expired(endpoints):
    app = WeComApp(endpoints.channels()["wecom_app"])
    app.send(to("kangzaoxin"))
    app.send(to("kangzaoxin"))
    endpoints.fail("/cgi-bin/message/send", {"errcode": 42001, "errmsg": "access_token expired"})
    with pytest.raises(TemporaryFailure):
        app.send(to("kangzaoxin"))
    app.send(to("kangzaoxin"))

    tokens = endpoints.received("/cgi-bin/gettoken")
    sends = endpoints.received("/cgi-bin/message/send")
    assert len(tokens) == 2 and tokens[0]["query"] == {"corpid": "ww-linli", "corpsecret": "app-secret"}
    assert len(sends) == 4 and sends[0]["query"] == {"access_token": "token-ww-linli"}
    assert sends[0]["body"]["touser"] == "kangzaoxin" and sends[0]["body"]["agentid"] == 1000002


def test_the_dingtalk_robot_signs_as_dingtalk_checks_it(endpoints):
    DingTalkRobot(endpoints.channels()["dingtalk_robot"]).send(MESSAGE)
    with pytest.raises(PermanentFailure) as unsigned:
        DingTalkRobot({**endpoints.channels()["dingtalk_robot"], "secret": "SECwrong"}).send(MESSAGE)

    first = endpoints.received("/robot/send")[0]
    assert first["body"]["at"]["atMobiles"] == ["13807310001"]
    assert "310000" in str(unsigned.value)


def test_email_is_delivered_over_smtp_in_utf8_and_a_refused_recipient_is_given_up(endpoints):
    mail = Email(endpoints.channels()["email"])
    mail.send(to("kang@example.com"))
    endpoints.refuse("gone@example.com")

    with pytest.raises(PermanentFailure):
        mail.send(to("gone@example.com"))
    with pytest.raises(TemporaryFailure):
        Email({"host": "127.0.0.1", "port": 9, "sender": "linli@example.com", "timeout_seconds": 2}).send(
            to("kang@example.com"))

    [received] = endpoints.received("smtp")
    assert received["body"]["to"] == ["kang@example.com"] and received["body"]["subject"] == "新派单：邻里纠纷"
    assert MESSAGE.body in received["body"]["text"] and received["headers"]["Message-ID"] == "<msg_1@linli>"


def test_any_other_service_goes_through_apprise_and_a_failure_may_pass_later(endpoints):
    channel = AnyService({"url": f"json://127.0.0.1:{endpoints.http_port}/apprise"})
    channel.send(MESSAGE)
    endpoints.fail("/apprise", 500)

    with pytest.raises(TemporaryFailure):
        channel.send(MESSAGE)
    assert endpoints.received("/apprise")[0]["body"]["title"] == "新派单：邻里纠纷"

"""Poison-message reasons, backoff, the error callers see while the database is gone, and
the log of unexpected worker errors, with hand-written stand-ins for nameko and kombu."""

import logging

import pytest
from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

from shared.errorlog import ErrorLog
from shared.parking import malformed, parked_queue, unanswerable
from shared.resilience import Unavailable, backoff, database_unavailable, retry_with_backoff


class StubMessage:
    def __init__(self, **properties):
        self.properties = properties


class StubEntrypoint:
    expected_exceptions = (ValueError, Unavailable)


class StubWorkerContext:
    entrypoint = StubEntrypoint()
    call_id = "cases.report.0b7c9f4e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
    immediate_parent_call_id = "district-portal.call.42"


def raised(error: Exception):
    try:
        raise error
    except Exception as caught:  # noqa: BLE001 - the point is the exc_info
        return type(caught), caught, caught.__traceback__


@pytest.mark.parametrize(("properties", "reason"), [
    ({"correlation_id": "c1"}, "no reply_to property: the caller cannot be answered"),
    ({"reply_to": "r1"}, "no correlation_id property: the caller cannot be answered"),
    ({}, "no reply_to and no correlation_id property: the caller cannot be answered"),
    ({"reply_to": "r1", "correlation_id": "c1"}, None),
])
def test_a_request_without_somewhere_to_answer_is_unanswerable(properties, reason):
    assert unanswerable(StubMessage(**properties)) == reason


@pytest.mark.parametrize(("body", "reason"), [
    ([1, 2], "body is list, not an object with args and kwargs"),
    (b"\x00\x01", "body is bytes, not an object with args and kwargs"),
    ({"kwargs": {}}, "body has no args list"),
    ({"args": [], "kwargs": ["unit_id"]}, "body has no kwargs object"),
    ({"args": [], "kwargs": {"unit_id": "unit_1"}}, None),
])
def test_a_body_that_is_not_args_and_kwargs_is_malformed(body, reason):
    assert malformed(body) == reason


def test_parked_messages_go_to_a_durable_queue_named_for_the_service():
    queue = parked_queue("cases")

    assert (queue.name, queue.routing_key, queue.durable, queue.exchange.name) == (
        "cases.parked", "cases.parked", True, "")


def test_backoff_doubles_up_to_its_ceiling():
    waits = backoff(0.5, 5)

    assert [next(waits) for _ in range(6)] == [0.5, 1, 2, 4, 5, 5]


def test_a_start_step_is_tried_again_until_the_database_answers(caplog):
    outcomes = [ServerSelectionTimeoutError("no servers"), AutoReconnect("reset"), "prepared"]
    slept = []

    def step():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = retry_with_backoff(step, "rosters: preparing the database", sleep=slept.append)

    assert result == "prepared"
    assert slept == [0.5, 1]
    assert "rosters: preparing the database failed (ServerSelectionTimeoutError: no servers)" in caplog.text


def test_retrying_ends_when_the_service_stops():
    def step():
        raise ServerSelectionTimeoutError("no servers")

    assert retry_with_backoff(step, "cases", sleep=lambda _: None, given_up=lambda: True) is None


def test_an_error_that_is_not_about_reaching_the_database_is_not_retried():
    def step():
        raise OperationFailure("index options conflict")

    with pytest.raises(OperationFailure):
        retry_with_backoff(step, "cases", sleep=lambda _: None)


def test_callers_are_told_the_database_is_unavailable_by_code():
    error = database_unavailable(ServerSelectionTimeoutError("127.0.0.1:27017: connection refused"))

    assert error.to_dict() == {"code": "unavailable",
                               "message": "the service's database is unavailable; try again later",
                               "message_zh": "服务暂时不可用，请稍后再试：数据库（database）无法连接。",
                               "details": [{"field": "database", "reason": "ServerSelectionTimeoutError",
                                            "reason_zh": "数据库（database）无法连接"}]}


def test_an_unexpected_worker_error_is_logged_with_its_call_id_and_traceback(caplog):
    caplog.set_level(logging.ERROR, logger="shared.errorlog")

    ErrorLog().worker_result(StubWorkerContext(), None, raised(KeyError("lineage")))

    [record] = caplog.records
    assert record.getMessage() == ("unexpected error in call cases.report.0b7c9f4e-1d2a-4c3b-9e8f-7a6b5c4d3e2f "
                                   "(called by district-portal.call.42): KeyError: 'lineage'")
    assert record.exc_info[0] is KeyError


@pytest.mark.parametrize("error", [ValueError("bad unit"), database_unavailable(AutoReconnect("reset"))])
def test_an_expected_worker_error_is_not_logged_as_unexpected(caplog, error):
    ErrorLog().worker_result(StubWorkerContext(), None, raised(error))

    assert caplog.records == []

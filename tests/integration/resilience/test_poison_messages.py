"""Requests a service cannot run are parked with the reason, never kill it, never come back."""

import json
import logging
import pickle
import re

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from services.rosters.repository import RostersStore
from tests.conftest import actor_context
from tests.integration.resilience.outages import (
    ReplyQueue,
    ServiceProcess,
    publish_raw,
    queue_depth,
    take_parked,
    wait_for,
)

JSON = "application/json"
REQUEST = json.dumps({"args": [], "kwargs": {"limit": 1}}).encode()
#: body, content type, with reply_to, with correlation_id, the reason it is parked for
POISON = [
    pytest.param(REQUEST, JSON, False, True, "no reply_to property: the caller cannot be answered",
                 id="no reply_to"),
    pytest.param(REQUEST, JSON, True, False, "no correlation_id property: the caller cannot be answered",
                 id="no correlation_id"),
    pytest.param(b'{"args": [], "kwargs": {', JSON, True, True, "body cannot be decoded: Expecting",
                 id="bad JSON"),
    pytest.param(pickle.dumps({"args": [], "kwargs": {"limit": 1}}), "application/x-python-serialize", True, True,
                 "body cannot be decoded: Refusing to deserialize untrusted content of type pickle",
                 id="wrong content type"),
    pytest.param(b"[1, 2]", JSON, True, True, "body is list, not an object with args and kwargs", id="list body"),
]
#: A read each service answers with an empty database, and what it answers.
NORMAL = {"rosters": ("search_people", []), "cases": ("search", {"total": 0, "items": []})}


def send_poison(amqp_uri: str, routing_key: str, body: bytes, content_type: str, reply_to: str | None,
                correlation_id: str | None) -> None:
    properties = {"content_type": content_type}
    if reply_to:
        properties["reply_to"] = reply_to
    if correlation_id:
        properties["correlation_id"] = correlation_id
    publish_raw(amqp_uri, routing_key, body, **properties)


def wait_for_parked(amqp_uri: str, service: str, count: int) -> list:
    parked = []

    def enough() -> bool:
        parked.extend(take_parked(amqp_uri, service))
        return len(parked) >= count

    wait_for(enough, 15, f"{count} parked message(s)")
    return parked


def answers_normally(proxy, service: str) -> bool:
    method, empty = NORMAL[service]
    answer = getattr(getattr(proxy, service), method)(limit=1)
    return answer == empty or (isinstance(answer, dict) and answer.get("total") == 0)


@pytest.mark.parametrize("service", ["rosters", "cases"])
@pytest.mark.parametrize(("body", "content_type", "with_reply_to", "with_correlation_id", "reason"), POISON)
def test_a_request_that_cannot_be_run_is_parked_with_its_reason_and_the_service_keeps_answering(
        request, stack, empty_parking, rpc_as, caplog, service, body, content_type, with_reply_to,
        with_correlation_id, reason):
    container = request.getfixturevalue(f"{service}_service")
    caller = ReplyQueue(stack.amqp_uri)
    routing_key = f"{service}.{NORMAL[service][0]}"
    caplog.set_level(logging.ERROR, logger="shared.rpc")

    send_poison(stack.amqp_uri, routing_key, body, content_type, with_reply_to and caller.routing_key,
                with_correlation_id and "poison-1")
    [parked] = wait_for_parked(stack.amqp_uri, service, 1)
    logged = f"{service}: request to {routing_key} parked in {service}.parked: {reason}"
    wait_for(lambda: logged in caplog.text, 5, "the log line")  # the service logs in its own green thread

    assert parked.headers["x-parked-reason"].startswith(reason)
    assert parked.headers["x-parked-from-routing-key"] == routing_key
    assert parked.body == body
    reply = caller.reply(timeout=3 if with_reply_to and with_correlation_id else 0.5)
    caller.close()
    if with_reply_to and with_correlation_id:
        assert reply["error"]["exc_type"] == "MalformedRequest"
        assert reply["error"]["value"].startswith(reason)
    else:
        assert reply is None
    assert answers_normally(rpc_as(), service)
    assert not container._died.ready()
    assert queue_depth(stack.amqp_uri, f"rpc-{service}") == 0
    assert take_parked(stack.amqp_uri, service) == []


def test_a_cases_process_lives_through_every_kind_of_poison_request(stack, process_env, empty_parking, tmp_path):
    cases = ServiceProcess("cases", process_env, tmp_path / "cases.log")
    try:
        with ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, context_data=actor_context(), timeout=5) as proxy:
            wait_for(lambda: answers_normally(proxy, "cases"), 60, "the cases process")
            reasons = [row.values[4] for row in POISON]

            for row in POISON:
                body, content_type, with_reply_to, with_correlation_id, _ = row.values
                send_poison(stack.amqp_uri, "cases.search", body, content_type, with_reply_to and "nobody-listens",
                            with_correlation_id and "poison-2")
            parked = wait_for_parked(stack.amqp_uri, "cases", len(POISON))

            assert cases.alive
            assert answers_normally(proxy, "cases")
        parked_reasons = [p.headers["x-parked-reason"] for p in parked]
        assert all(sum(r.startswith(reason) for r in parked_reasons) == 1 for reason in reasons)
        log = cases.log()
        assert all(f"cases: request to cases.search parked in cases.parked: {r}" in log for r in reasons)
        assert queue_depth(stack.amqp_uri, "rpc-cases") == 0
        assert take_parked(stack.amqp_uri, "cases") == []
        print(f"\n[poison] nameko run cases: {len(POISON)} poison requests sent, {len(parked)} parked, "
              f"process alive, answered a normal call after them, rpc-cases empty")
    finally:
        cases.stop()


def test_an_unexpected_error_in_an_rpc_is_logged_with_its_call_id_and_traceback(
        monkeypatch, rosters_service, rpc_as, caplog):
    def broken(store):
        raise RuntimeError("unit cache index out of step")

    monkeypatch.setattr(RostersStore, "unit_cache_status", broken)
    caplog.set_level(logging.ERROR, logger="shared.errorlog")

    with pytest.raises(RemoteError):
        rpc_as().rosters.unit_cache_status()
    wait_for(lambda: "unexpected error" in caplog.text, 5, "the log line")  # logged after the reply went

    [record] = [r for r in caplog.records if r.name == "shared.errorlog"]
    assert re.fullmatch(r"unexpected error in call rosters\.unit_cache_status\.[0-9a-f-]{36} \(called by "
                        r"standalone_rpc_proxy\.call\.[0-9a-f-]{36}\): RuntimeError: unit cache index out of step",
                        record.getMessage())
    assert record.exc_info[0] is RuntimeError
    assert "in broken" in caplog.text  # the traceback reaches the failing line

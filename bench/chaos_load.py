"""The clients of the chaos run: each reports cases and takes some through the whole loop,
every call under a request id and repeated with the same id until it is answered, as a
careful client does after a timeout or a lost connection."""

import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field

import eventlet
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from services.cases.exceptions import CaseChanged, RosterUnavailable
from shared.errors import LinliError

#: The whole loop after the report: (command, arguments).
LOOP = [("escalate", {"note": "需要社区协调"}), ("triage", {}),
        ("dispatch", {"assignee": {"kind": "community", "name": "嘉园社区"}}), ("accept", {}),
        ("resolve", {"result": "已疏通"}), ("evaluate", {"satisfied": True, "comment": "满意"})]
RETRYABLE_CODES = {"unavailable"}
CALL_TIMEOUT, GIVE_UP_AFTER = 10, 120


@dataclass
class Tally:
    sent: int = 0  # distinct requests
    answered: int = 0
    attempts: int = 0
    refused: Counter = field(default_factory=Counter)  # errors that are answers, by code (expected: none)
    gave_up: int = 0
    retried_because: Counter = field(default_factory=Counter)
    reports: dict = field(default_factory=dict)  # request id → case id answered
    loops: list = field(default_factory=list)  # case ids taken through the whole loop
    problems: list = field(default_factory=list)  # (command, arguments, last error) of each refused or given up


class Client:
    """One caller with its own connection, opened again whenever it breaks."""

    def __init__(self, amqp_uri: str, context: dict, tally: Tally):
        self.config, self.context, self.tally = {"AMQP_URI": amqp_uri}, context, tally
        self.proxy: ClusterRpcProxy | None = None
        self.rpc = None

    def call(self, method: str, **arguments) -> dict | None:
        """The answer, repeating the same request until there is one (or an error that is an answer)."""
        self.tally.sent += 1
        started, wait, met = time.monotonic(), 0.2, None
        while time.monotonic() - started < GIVE_UP_AFTER:
            self.tally.attempts += 1
            try:
                answer = getattr(self.connected().cases, method)(**arguments)
                self.tally.answered += 1
                return answer
            except (CaseChanged, RosterUnavailable) as busy:
                self.tally.retried_because[type(busy).__name__] += 1
                met = busy
            except LinliError as error:
                if error.code not in RETRYABLE_CODES:
                    self.tally.refused[f"{method}: {error.code}"] += 1
                    self.tally.problems.append((method, arguments, repr(error)))
                    return None
                self.tally.retried_because[error.code] += 1
                met = error
            except RemoteError as error:
                self.tally.retried_because[error.exc_type] += 1
                met = error
            except Exception as error:  # noqa: BLE001 - timeouts and broken connections: ask again
                self.tally.retried_because[type(error).__name__] += 1
                met = error
                self.disconnect()
            eventlet.sleep(wait)
            wait = min(wait * 2, 3)
        self.tally.gave_up += 1
        self.tally.problems.append((method, arguments, f"gave up after {GIVE_UP_AFTER} s; last: {met!r}"))
        return None

    def connected(self):
        if self.rpc is None:
            self.proxy = ClusterRpcProxy(self.config, context_data=self.context, timeout=CALL_TIMEOUT)
            self.rpc = self.proxy.start()
        return self.rpc

    def disconnect(self) -> None:
        proxy, self.proxy, self.rpc = self.proxy, None, None
        if proxy is not None:
            with contextlib.suppress(Exception):  # the connection is gone already
                proxy.stop()


def run_client(client: Client, name: str, units: list[str], reports: int, loops: int) -> None:
    """`reports` reports, the first `loops` of them taken through the whole loop."""
    for i in range(reports):
        request_id = f"{name}-{i:05d}"
        case = client.call("report", channel="visit", unit_id=units[i % len(units)], category="drains",
                           reporter={"name": "王大爷", "phone": "13900001111"},
                           description=f"下水道堵塞 {request_id}", request_id=request_id)
        if case is None:
            continue
        client.tally.reports[request_id] = case["case_id"]
        if i < loops and all(client.call(command, case_id=case["case_id"], request_id=f"{request_id}-{command}",
                                         **arguments) is not None for command, arguments in LOOP):
            client.tally.loops.append(case["case_id"])

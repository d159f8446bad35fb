"""Cases brought to the state a test needs through the commands themselves."""

from collections.abc import Mapping

from services.cases import commands
from tests.service.conftest import OPS, POLICY
from tests.service.fakes import Clock, FakeCasesStore, FakeRoster
from tests.service.street import UNIT

DRAINS = {"channel": "visit", "reporter": {"name": "王大爷", "phone": "13900001111", "household": "2栋1单元301"},
          "unit_id": UNIT, "category": "drains", "urgency": "normal", "place": "shared",
          "description": "2栋下水道堵塞，污水外溢", "photos": [], "external_ref": None, "request_id": None}
#: The steps that bring a new case to each state, in order: (command, state reached, arguments).
PATH = [
    ("escalate", "escalated", {"note": "需要专业疏通车"}),
    ("triage", "triaged", {"category": None, "urgency": None, "note": None}),
    ("dispatch", "dispatched", {"assignee": {"kind": "community", "name": "嘉园社区", "party_id": None},
                                "co_handlers": []}),
    ("accept", "accepted", {"note": None}),
    ("progress", "in_progress", {"note": "已上门查看", "site_visit": True, "photos": []}),
]


def case_in(state: str, store: FakeCasesStore, roster: FakeRoster, clock: Clock, **report: object) -> dict:
    """A drains case at 金昌花园 2栋 1单元, reported now and taken to `state`."""
    case = commands.report(store, roster, OPS, {**DRAINS, **report}, POLICY, clock())
    for command, reached, data in PATH:
        if case["state"] == state:
            break
        case = step(store, roster, clock, case["_id"], command, data)
        assert case["state"] == reached
    assert case["state"] == state
    return case


def step(store: FakeCasesStore, roster: FakeRoster, clock: Clock, case_id: str, command: str, data: Mapping,
         actor=OPS) -> dict:
    """One command as its RPC would run it."""
    request = {"case_id": case_id, **data}
    if command == "triage":
        return commands.triage(store, roster, actor, request, POLICY, clock)
    if command == "accept":
        return commands.accept(store, actor, request, POLICY, clock)
    return commands.act(store, actor, case_id, command, request, POLICY, clock)

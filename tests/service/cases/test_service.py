"""The cases service's RPCs as its command declarations make them: each declared command with
an input schema is an RPC loading that schema, and runs once per request id."""

from services.cases import schemas
from services.cases.lifecycle import COMMANDS
from services.cases.service import CasesService
from shared.schemas import StrictSchema
from tests.conftest import rpc_names
from tests.service.cases.making import case_in
from tests.service.street import KANG, UNIT


def test_every_declared_command_with_an_input_schema_is_an_rpc_loading_that_schema():
    declared = {name for name, command in COMMANDS.items() if command.schema}

    assert declared <= rpc_names(CasesService)
    assert all(isinstance(schemas.for_command(name), StrictSchema) for name in declared)
    assert {"flag_overdue", "link_meeting"}.isdisjoint(rpc_names(CasesService))


def test_a_declared_command_runs_through_its_rpc_and_a_repeat_gets_the_first_answer(service_as, store, roster, clock):
    case = case_in("reported", store, roster, clock)
    service = service_as()

    first = service.escalate(case_id=case["_id"], note="需要专业疏通车", request_id="r-esc-1")
    again = service.escalate(case_id=case["_id"], note="需要专业疏通车", request_id="r-esc-1")

    assert first == again
    assert (first["state"], first["version"]) == ("escalated", case["version"] + 1)
    assert [e["action"] for e in store.cases.get(case["_id"])["timeline"]] == ["report", "escalate"]
    assert first["reporter"]["phone"] == "13900001111"  # an admin sees the number, and the read is audited
    assert [r["rpc"] for r in store.pii_reads.reads] == ["escalate", "escalate"]


def test_a_report_through_its_rpc_is_masked_for_a_role_that_does_not_see_numbers(service_as, store):
    answer = service_as(KANG).report(channel="visit", reporter={"name": "王大爷", "phone": "13900001111"},
                                     unit_id=UNIT, category="drains", description="2栋下水道堵塞")

    assert answer["reporter"]["phone"] != "13900001111"
    assert store.cases.get(answer["case_id"])["reporter"]["phone"] == "13900001111"
    assert store.pii_reads.reads == []

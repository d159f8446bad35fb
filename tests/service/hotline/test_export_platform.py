"""A platform without an API: its export (XLSX) is imported, each row becomes a ticket and a case
once however often the same export comes, malformed rows are parked with their line, and the
calls owed to the platform wait for a clerk, who confirms each once entered by hand."""

import base64
import io
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from openpyxl import load_workbook

from services.hotline.areas import Areas
from services.hotline.platforms.spreadsheet import SpreadsheetPlatform
from services.hotline.service import HotlineService
from services.hotline.settings import Limits, PlatformSettings, Settings
from shared.errors import ValidationFailed
from tests.fakes.consumer import PassThrough
from tests.hotline_export import AREA_CODE, hotline_export
from tests.service.fakes import FakeActorAccess
from tests.service.hotline.conftest import OPS, SECRETARY, case_event, rosters_answer
from tests.service.notifications.conftest import FakeProxy


@pytest.fixture
def settings() -> Settings:
    export = PlatformSettings(name="export", adapter="spreadsheet", options={},
                              areas={AREA_CODE: "unit_jiayuan"}, limits=Limits())
    return Settings(platforms={"export": export})


@pytest.fixture
def service_as(store, cases, settings):
    def worker(actor=OPS):
        service = worker_factory(HotlineService, store=store, actor=FakeActorAccess(actor), settings=settings,
                                 adapters={"export": SpreadsheetPlatform("export", {})},
                                 config={"CASES_TIMEOUT_SECONDS": 1}, cases=FakeProxy(cases),
                                 rosters=FakeProxy(rosters_answer), areas=Areas(60),
                                 pool=SimpleNamespace(imap=map))
        service.consumer = PassThrough(service)
        return service

    return worker


def encoded(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_an_export_imported_twice_gives_one_case_per_ticket_and_parks_its_malformed_rows(service_as, cases):
    export = hotline_export(tickets=40, malformed=3)

    first = service_as(SECRETARY).import_tickets(platform="export", content_base64=encoded(export.content))
    again = service_as(SECRETARY).import_tickets(platform="export", content_base64=encoded(export.content))

    assert first["received"] == 40 and first["parked"] == 3
    assert again["received"] == 0 and again["stale"] == 40 and again["parked"] == 3
    assert len(cases.cases) == 40
    parked = service_as().parked(kind="record")["parked"]
    assert len(parked) == 3 and all("第" in p["reason"] and "行" in p["reason"] for p in parked)
    assert first["applied"] == len(export.surveys) + len(export.reworks) > 0


def test_calls_wait_for_a_clerk_who_confirms_each_once(service_as, cases):
    export = hotline_export(tickets=3)
    service_as(SECRETARY).import_tickets(platform="export", content_base64=encoded(export.content))

    waiting = service_as(SECRETARY).manual_calls(platform="export")
    assert waiting["total"] == 3 and {c["action"] for c in waiting["calls"]} == {"sign"}
    sheet = load_workbook(io.BytesIO(base64.b64decode(waiting["content_base64"])))["待录入"]
    assert [c.value for c in sheet[3]][:2] == [waiting["calls"][0]["ticket_no"], "签收"]

    first = waiting["calls"][0]
    view = service_as(SECRETARY).confirm_entered(call_id=first["call_id"])
    assert view["state"] == "signed"
    with pytest.raises(Exception) as twice:
        service_as(SECRETARY).confirm_entered(call_id=first["call_id"])
    assert twice.value.details[0]["field"] == "call_id"

    ticket_id = view["ticket_id"]
    service_as().on_extension_requested(case_event("case_extension_requested", ticket_id, working_days=3,
                                                   reason="需协调"))
    service_as().send_calls()
    [extension] = [c for c in service_as(SECRETARY).manual_calls(platform="export")["calls"] if c["action"] == "extend"]
    with pytest.raises(ValidationFailed) as missing:
        service_as(SECRETARY).confirm_entered(call_id=extension["call_id"])
    assert missing.value.details[0]["field"] == "granted"
    service_as(SECRETARY).confirm_entered(call_id=extension["call_id"], granted=False)
    service_as().push_case_calls()
    [decided] = cases.of("decide_extension")
    assert decided["granted"] is False and decided["note"] == "12345未同意延期"

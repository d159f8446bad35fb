"""Every hotline RPC refuses bad input with a `ValidationFailed` naming the field, and nothing is
written or published: tickets signed and returned on a platform with an API, an export's
tickets with a sign and an extension waiting for the clerk, and every collection is the same
before and after the refused call."""

import base64
import io

import pytest
from openpyxl import Workbook

from services.hotline.platforms.spreadsheet import OLD_XLS, SpreadsheetPlatform
from services.hotline.service import HotlineService
from services.hotline.settings import Limits, PlatformSettings, Settings
from shared.errors import ValidationFailed
from shared.schemas import MAX_OFFSET
from tests.conftest import rpc_names
from tests.fakes.consumer import PassThrough
from tests.hotline_export import AREA_CODE, hotline_export
from tests.service.hotline.conftest import OPS, case_event, ticket
from tests.service.rosters.conftest import kept

PERIOD = {"date_from": "2026-12-01", "date_to": "2026-12-31"}
RECONCILE = {"platform": "fake", **PERIOD}
EXPORT = base64.b64encode(hotline_export(tickets=2).content).decode()  # two tickets of 嘉园社区


def encoded(content: bytes) -> str:
    return base64.b64encode(content).decode()


def without_header() -> bytes:
    """A workbook whose first rows name none of the columns an export has."""
    book = Workbook()
    book.active.append(["姓名", "电话"])
    book.active.append(["王先生", "13812345678"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def without(arguments: dict, field: str) -> dict:
    return {k: v for k, v in arguments.items() if k != field}


# rpc, arguments ("@…": an id of the data), the field named
ROWS = [
    ("get_ticket", {}, "ticket_id"),
    ("get_ticket", {"ticket_id": ""}, "ticket_id"),
    ("get_ticket", {"ticket_id": 42}, "ticket_id"),
    ("get_ticket", {"ticket_id": "f" * 121}, "ticket_id"),
    ("get_ticket", {"ticket_id": "fake:A1\x00"}, "ticket_id"),
    ("get_ticket", {"ticket_id": "@signed", "colour": "red"}, "colour"),
    ("list_tickets", {"limit": 0}, "limit"),
    ("list_tickets", {"limit": 201}, "limit"),
    ("list_tickets", {"limit": "5"}, "limit"),
    ("list_tickets", {"offset": -1}, "offset"),
    ("list_tickets", {"offset": MAX_OFFSET + 1}, "offset"),
    ("list_tickets", {"state": "open"}, "state"),
    ("list_tickets", {"platform": ""}, "platform"),
    ("list_tickets", {"node_id": "n" * 121}, "node_id"),
    ("list_tickets", {"platform": "fake\x00"}, "platform"),
    ("return_ticket", {"ticket_id": "@signed"}, "reason"),
    ("return_ticket", {"ticket_id": "@signed", "reason": ""}, "reason"),
    ("return_ticket", {"ticket_id": "@signed", "reason": "因" * 1001}, "reason"),
    ("return_ticket", {"ticket_id": "@signed", "reason": "不属于本社区\ud800"}, "reason"),
    ("return_ticket", {"reason": "不属于本社区辖区"}, "ticket_id"),
    ("return_ticket", {"ticket_id": "@signed", "reason": "不属于本社区辖区", "request_id": ""}, "request_id"),
    ("return_ticket", {"ticket_id": "@signed", "reason": "不属于本社区辖区", "request_id": 42}, "request_id"),
    ("return_ticket", {"ticket_id": "@signed", "reason": "", "request_id": "r-1"}, "reason"),
    ("pull_now", {}, "platform"),
    ("pull_now", {"platform": ""}, "platform"),
    ("pull_now", {"platform": "p" * 51}, "platform"),
    ("pull_now", {"platform": ["fake"]}, "platform"),
    ("pull_now", {"platform": "export"}, "platform"),
    ("import_tickets", {"platform": "export"}, "content_base64"),
    ("import_tickets", {"content_base64": EXPORT}, "platform"),
    ("import_tickets", {"platform": "export", "content_base64": ""}, "content_base64"),
    ("import_tickets", {"platform": "export", "content_base64": "不是base64"}, "content_base64"),
    ("import_tickets", {"platform": "export", "content_base64": "UEsDBA=!"}, "content_base64"),
    ("import_tickets", {"platform": "export", "content_base64": encoded(b"PK\x03\x04 not a zip")},
     "content_base64"),
    ("import_tickets", {"platform": "export", "content_base64": encoded(OLD_XLS + b"\x00" * 64)},
     "content_base64"),
    ("import_tickets", {"platform": "export", "content_base64": encoded(without_header())}, "content_base64"),
    ("import_tickets", {"platform": "export", "content_base64": EXPORT, "filename": "f" * 201}, "filename"),
    ("import_tickets", {"platform": "export", "content_base64": EXPORT, "request_id": "r" * 101}, "request_id"),
    ("import_tickets", {"platform": "fake", "content_base64": EXPORT}, "platform"),
    ("parked", {"kind": "ticket"}, "kind"),
    ("parked", {"limit": 0}, "limit"),
    ("parked", {"limit": 201}, "limit"),
    ("parked", {"platform": ""}, "platform"),
    ("replay", {}, "parked_id"),
    ("replay", {"parked_id": ""}, "parked_id"),
    ("replay", {"parked_id": "p" * 121}, "parked_id"),
    ("replay", {"parked_id": "@done_call", "request_id": ""}, "request_id"),
    ("manual_calls", {}, "platform"),
    ("manual_calls", {"platform": "export", "limit": 0}, "limit"),
    ("manual_calls", {"platform": "export", "limit": 2001}, "limit"),
    ("manual_calls", {"platform": "export", "limit": 2.5}, "limit"),
    ("manual_calls", {"platform": "export", "colour": "red"}, "colour"),
    ("confirm_entered", {}, "call_id"),
    ("confirm_entered", {"call_id": "@waiting_sign", "granted": "yes"}, "granted"),
    ("confirm_entered", {"call_id": "@waiting_sign", "deadline": "2026-12-15T18:00:00"}, "deadline"),
    ("confirm_entered", {"call_id": "@waiting_sign", "deadline": "0001-01-01T00:00:00+14:00"}, "deadline"),
    ("confirm_entered", {"call_id": "@waiting_sign", "deadline": "下周五"}, "deadline"),
    ("confirm_entered", {"call_id": "@extension"}, "granted"),
    ("confirm_entered", {"call_id": "@extension", "deadline": "2026-12-15T18:00:00+08:00"}, "granted"),
    ("sync_state", {"verbose": True}, "verbose"),
    ("sync_state", {"platform": "fake"}, "platform"),
    ("kpis", without(PERIOD, "date_from"), "date_from"),
    ("kpis", without(PERIOD, "date_to"), "date_to"),
    ("kpis", {**PERIOD, "date_to": "2026-11-30"}, "date_to"),
    ("kpis", {**PERIOD, "date_from": "2026-13-01"}, "date_from"),
    ("kpis", {**PERIOD, "date_to": "9999-12-31"}, "date_to"),
    ("kpis", {**PERIOD, "node_id": ""}, "node_id"),
    ("kpis", {**PERIOD, "platform": 42}, "platform"),
    ("reconciliation", PERIOD, "platform"),
    ("reconciliation", {**RECONCILE, "date_to": "2026-11-30"}, "date_to"),
    ("reconciliation", without(RECONCILE, "date_from"), "date_from"),
    ("reconciliation", {**RECONCILE, "platform": ""}, "platform"),
    ("reconciliation", {**RECONCILE, "date_to": "2026-12-31T18:00:00+08:00"}, "date_to"),
    ("labels", {"language": "en"}, "language"),
    ("labels", {"platform": "fake"}, "platform"),
    ("journal_state", {"verbose": True}, "verbose"),
    ("journal_state", {"handler": "on_case_resolved"}, "handler"),
    ("parked_events", {"handler": ""}, "handler"),
    ("parked_events", {"handler": 42}, "handler"),
    ("parked_events", {"handler": "h" * 101}, "handler"),
    ("replay_parked", {"event_id": ""}, "event_id"),
    ("replay_parked", {"event_id": "evt_1", "handler": "h" * 101}, "handler"),
    ("replay_parked", {"event_id": "e" * 201}, "event_id"),
    ("consumer_counts", {"handler": 42}, "handler"),
    ("consumer_counts", {"handler": ""}, "handler"),
]



@pytest.fixture
def settings(settings) -> Settings:
    """The fake platform with an API, and `export`, whose tickets come as spreadsheets."""
    export = PlatformSettings(name="export", adapter="spreadsheet", options={}, areas={AREA_CODE: "unit_jiayuan"},
                              limits=Limits())
    return Settings(platforms={**settings.platforms, "export": export}, retry=settings.retry)


@pytest.fixture
def service_as(service_as):
    """The workers of the conftest, with the spreadsheet adapter for `export`."""
    export = SpreadsheetPlatform("export", {})

    def worker(actor=OPS) -> HotlineService:
        service = service_as(actor)
        service.adapters = {**service.adapters, "export": export}
        service.consumer = PassThrough(service)
        return service

    return worker


@pytest.fixture
def ids(service_as, platform, run_timers) -> dict[str, str]:
    """A1 signed and A2 returned on the fake platform (its return a call done); two tickets of an export, the first
    signed by hand with an extension waiting for the clerk, the second's sign waiting."""
    platform.feed = [ticket("A1"), ticket("A2")]
    run_timers()
    service_as().return_ticket(ticket_id="fake:A2", reason="不属于本社区辖区")
    service_as().import_tickets(platform="export", content_base64=EXPORT)
    first, second = service_as().manual_calls(platform="export")["calls"]
    signed = service_as().confirm_entered(call_id=first["call_id"])
    service_as().on_extension_requested(case_event("case_extension_requested", signed["ticket_id"],
                                                   working_days=3, reason="需协调产权单位"))
    run_timers(rounds=1)
    [extension] = [c for c in service_as().manual_calls(platform="export")["calls"] if c["action"] == "extend"]
    returned = service_as().get_ticket(ticket_id="fake:A2")
    [done] = [c for c in returned["calls"] if c["action"] == "return"]
    assert returned["state"] == "returned" and done["state"] == "done"
    return {"@signed": "fake:A1", "@done_call": done["call_id"], "@waiting_sign": second["call_id"],
            "@extension": extension["call_id"]}


def test_the_table_covers_every_hotline_rpc():
    assert {rpc for rpc, *_ in ROWS} == rpc_names(HotlineService)


@pytest.mark.parametrize(("rpc", "arguments", "field"), ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written_or_published(service_as, ids, db, broker,
                                                                                    rpc, arguments, field):
    filled = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()}
    before, published = kept(db), len(broker.published)

    with pytest.raises(ValidationFailed) as raised:
        getattr(service_as(OPS), rpc)(**filled)

    assert field in raised.value.fields, raised.value.to_dict()
    assert kept(db) == before and len(broker.published) == published

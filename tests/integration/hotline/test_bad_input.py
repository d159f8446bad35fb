"""Every hotline RPC refuses bad input over the broker with a structured error naming the field,
and leaves every document of the hotline database as it was.

One input the schema refuses per RPC, and the rules that need the database or the platform: a
platform or a ticket that is not there, an upload that is not an export, an export to a platform
with an API and a pull of one without, a ticket returned or past its return window, a call that
is not parked or not waiting for the clerk, an extension confirmed without the platform's answer.
Every input the schemas refuse is in `tests/service/hotline/test_bad_input.py`, which needs
neither."""

import base64

import kombu
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from services.cases.service import CasesService
from services.hotline.exceptions import (
    CallNotFound,
    NotReplayable,
    ParkedNotFound,
    ReturnTooLate,
    TicketNotFound,
    UnknownPlatform,
)
from services.hotline.service import HotlineService
from services.rosters.demo import load_demo
from services.rosters.service import RostersService
from shared.consuming.runner import UnknownHandler
from shared.errors import InvalidTransition, LinliError, NotFound, ValidationFailed
from shared.ids import new_id
from shared.mongo import mongo_client
from shared.stack.ports import wait_until
from tests.conftest import actor_context, rpc_names, service_config
from tests.hotline_export import AREA_CODE, hotline_export
from tests.integration.hotline.conftest import AREAS, CASE_QUEUES, platforms
from tests.integration.snapshots import settled_digest

NOISY = {"received_at": "2026-12-01T09:12:00+08:00", "request_type": "投诉", "urgency": "一般",
         "citizen_name": "王先生", "citizen_phone": "13812345678",
         "content": "隔壁商铺空调外机距住宅仅3米，噪音大、热风直吹，夜间无法入睡",
         "address": "雨花区左家塘街道嘉园社区金昌花园2栋", "category": "噪声扰民", "area_code": "JY",
         "deadline": "2026-12-08T18:00:00+08:00"}
SIGNED, RETURNED = "JY2026120100001", "JY2026120100002"
EXPORT = base64.b64encode(hotline_export(tickets=2).content).decode()
NOT_A_WORKBOOK = base64.b64encode("工单编号,来电时间\nJY1,2026-12-01".encode()).decode()
PERIOD = {"date_from": "2026-12-01", "date_to": "2026-12-31"}
REASON = "不属于本社区辖区"


def without(arguments: dict, field: str) -> dict:
    return {k: v for k, v in arguments.items() if k != field}


# rpc, arguments ("@…": an id of the data made once for the module), the error, the field named
ROWS = [
    ("get_ticket", {}, ValidationFailed, "ticket_id"),
    ("get_ticket", {"ticket_id": "city:JY2026120199999"}, TicketNotFound, "ticket_id"),
    ("list_tickets", {"limit": 0}, ValidationFailed, "limit"),
    ("list_tickets", {"state": "open"}, ValidationFailed, "state"),
    ("return_ticket", {"ticket_id": "@signed"}, ValidationFailed, "reason"),
    ("return_ticket", {"ticket_id": "city:JY2026120199999", "reason": REASON}, TicketNotFound, "ticket_id"),
    ("return_ticket", {"ticket_id": "@returned", "reason": REASON}, InvalidTransition, "state"),
    ("return_ticket", {"ticket_id": "@signed_by_hand", "reason": REASON}, ReturnTooLate, "ticket_id"),
    ("return_ticket", {"ticket_id": "@signed", "reason": "", "request_id": "bad-input-1"}, ValidationFailed,
     "reason"),
    ("pull_now", {}, ValidationFailed, "platform"),
    ("pull_now", {"platform": "nowhere"}, UnknownPlatform, "platform"),
    ("pull_now", {"platform": "export"}, ValidationFailed, "platform"),
    ("import_tickets", {"platform": "export"}, ValidationFailed, "content_base64"),
    ("import_tickets", {"platform": "nowhere", "content_base64": EXPORT}, UnknownPlatform, "platform"),
    ("import_tickets", {"platform": "export", "content_base64": "不是base64"}, ValidationFailed, "content_base64"),
    ("import_tickets", {"platform": "export", "content_base64": NOT_A_WORKBOOK}, ValidationFailed,
     "content_base64"),
    ("import_tickets", {"platform": "city", "content_base64": EXPORT}, ValidationFailed, "platform"),
    ("parked", {"kind": "ticket"}, ValidationFailed, "kind"),
    ("replay", {}, ValidationFailed, "parked_id"),
    ("replay", {"parked_id": "rec_nowhere"}, ParkedNotFound, "parked_id"),
    ("replay", {"parked_id": "@done_call"}, NotReplayable, "parked_id"),
    ("manual_calls", {"platform": "export", "limit": 0}, ValidationFailed, "limit"),
    ("manual_calls", {"platform": "nowhere"}, UnknownPlatform, "platform"),
    ("confirm_entered", {}, ValidationFailed, "call_id"),
    ("confirm_entered", {"call_id": "call_nowhere"}, CallNotFound, "call_id"),
    ("confirm_entered", {"call_id": "@done_call"}, NotReplayable, "call_id"),
    ("confirm_entered", {"call_id": "@extension"}, ValidationFailed, "granted"),
    ("confirm_entered", {"call_id": "@waiting_sign", "deadline": "2026-12-15T18:00:00"}, ValidationFailed,
     "deadline"),
    ("sync_state", {"verbose": True}, ValidationFailed, "verbose"),
    ("kpis", {**PERIOD, "date_to": "2026-11-30"}, ValidationFailed, "date_to"),
    ("kpis", without(PERIOD, "date_from"), ValidationFailed, "date_from"),
    ("reconciliation", {"platform": "city", **PERIOD, "date_to": "2026-11-30"}, ValidationFailed, "date_to"),
    ("reconciliation", {"platform": "nowhere", **PERIOD}, UnknownPlatform, "platform"),
    ("reconciliation", PERIOD, ValidationFailed, "platform"),
    ("labels", {"language": "en"}, ValidationFailed, "language"),
    ("journal_state", {"verbose": True}, ValidationFailed, "verbose"),
    ("parked_events", {"handler": ""}, ValidationFailed, "handler"),
    ("replay_parked", {}, ValidationFailed, "event_id"),
    ("replay_parked", {"handler": "on_nothing"}, UnknownHandler, "handler"),
    ("replay_parked", {"event_id": "evt_never"}, NotFound, "event_id"),
    ("consumer_counts", {"handler": 42}, ValidationFailed, "handler"),
]


@pytest.fixture(scope="module")
def running(stack, simulator):
    """Rosters with the demo street, cases, and hotline syncing with the local platform (`city`)
    and taking exports (`export`, whose return window closes at signing), made once: a bad call
    changes nothing, so the rows can share them. Hotline's pull timer is left out: the data is
    pulled when asked."""
    name = new_id("test").replace("_", "")
    simulator.reset()
    with kombu.Connection(stack.amqp_uri) as connection, connection.channel() as channel:
        for queue in CASE_QUEUES:
            channel.queue_delete(queue)
    configured = platforms(simulator)
    configured["export"] = {**configured["export"], "areas": {**AREAS, AREA_CODE: AREAS["JY"]},
                            "limits": {"return": {"hours": 0}}}
    containers = [ServiceContainer(RostersService, service_config(stack, ROSTERS_DB=name)),
                  ServiceContainer(CasesService, service_config(stack, CASES_DB=f"{name}cases",
                                                                OVERDUE_SCAN_SECONDS=3600)),
                  ServiceContainer(HotlineService, service_config(
                      stack, HOTLINE_DB=f"{name}hot", PLATFORMS=configured, PULL_SECONDS=3600, SEND_SECONDS=0.2,
                      CASE_SYNC_SECONDS=0.2, RETRY_FIRST_SECONDS=0.2, RETRY_MAX_SECONDS=2, LEASE_SECONDS=10,
                      CONSUMER_RETRY_FIRST_SECONDS=0.05))]
    for container in containers:
        container.start()
    client = mongo_client(stack.mongo_uri)
    with ClusterRpcProxy(service_config(stack), context_data=actor_context(), timeout=20) as rpc:
        load_demo(rpc.rosters)
        ids = made(rpc, simulator)
        journal = next(d for d in containers[2].dependencies if d.attr_name == "store").store.journal
        yield rpc.hotline, ids, client[f"{name}hot"], journal
    for container in containers:
        container.stop()
    for db in (name, f"{name}cases", f"{name}hot"):
        client.drop_database(db)
    client.close()


def made(rpc, simulator) -> dict[str, str]:
    """The data the rows name, through the RPCs: two tickets pulled and signed, one returned (its
    return a call done); an export's two tickets, the first signed by hand with an extension
    waiting for the clerk."""
    hotline = rpc.hotline
    simulator.add({**NOISY, "ticket_no": SIGNED}, {**NOISY, "ticket_no": RETURNED})
    hotline.pull_now(platform="city")
    wait_until(lambda: simulator.state()["totals"]["signs"] == 2
               and hotline.get_ticket(ticket_id=f"city:{SIGNED}")["state"] == "signed", 30, "both signed")
    hotline.return_ticket(ticket_id=f"city:{RETURNED}", reason=REASON)
    wait_until(lambda: hotline.get_ticket(ticket_id=f"city:{RETURNED}")["state"] == "returned", 30, "the return")
    hotline.import_tickets(platform="export", content_base64=EXPORT, filename="工单导出.xlsx")
    wait_until(lambda: hotline.manual_calls(platform="export")["total"] == 2, 30, "the export's signs")
    first, second = hotline.manual_calls(platform="export")["calls"]
    by_hand = hotline.confirm_entered(call_id=first["call_id"])
    wait_until(lambda: hotline.get_ticket(ticket_id=by_hand["ticket_id"])["case_id"], 30, "the export's case")
    case_id = hotline.get_ticket(ticket_id=by_hand["ticket_id"])["case_id"]
    rpc.cases.escalate(case_id=case_id, note="需社区协调")
    rpc.cases.triage(case_id=case_id, category="noise", urgency="normal", note="商铺噪声")
    rpc.cases.dispatch(case_id=case_id, assignee={"kind": "community", "name": "嘉园社区"})
    rpc.cases.request_extension(case_id=case_id, working_days=3, reason="需协调产权单位")
    wait_until(lambda: any(c["action"] == "extend" for c in hotline.manual_calls(platform="export")["calls"]), 30,
               "the extension waiting for the clerk")
    [extension] = [c for c in hotline.manual_calls(platform="export")["calls"] if c["action"] == "extend"]
    [done] = [c for c in hotline.get_ticket(ticket_id=f"city:{RETURNED}")["calls"] if c["action"] == "return"]
    return {"@signed": f"city:{SIGNED}", "@returned": f"city:{RETURNED}", "@signed_by_hand": by_hand["ticket_id"],
            "@done_call": done["call_id"], "@waiting_sign": second["call_id"], "@extension": extension["call_id"]}


def resolve(arguments: dict, ids: dict[str, str]) -> dict:
    return {k: ids.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()}


def test_the_table_covers_every_hotline_rpc():
    assert {rpc for rpc, *_ in ROWS} == rpc_names(HotlineService)


@pytest.mark.parametrize(("rpc", "arguments", "error", "field"), ROWS,
                         ids=[f"{r[0]}-{r[2].__name__}-{r[3]}" for r in ROWS])
def test_bad_input_gets_a_structured_error_naming_the_field_and_changes_nothing(running, rpc, arguments, error,
                                                                                field):
    hotline, ids, hotline_db, journal = running
    before = settled_digest(hotline_db, journal)

    with pytest.raises(LinliError) as raised:
        getattr(hotline, rpc)(**resolve(arguments, ids))

    assert isinstance(raised.value, error), raised.value.to_dict()
    assert field in [d["field"] for d in raised.value.details], raised.value.to_dict()
    assert settled_digest(hotline_db, journal) == before, f"{rpc} changed the hotline database"



@pytest.mark.parametrize("rpc", ["kpis", "reconciliation"])
def test_a_period_from_the_first_day_the_schema_takes_gets_an_answer_or_a_structured_error(running, rpc):
    """0001-01-01 is a day `Period` accepts; its first moment in China time is before the first
    moment the database can store."""
    hotline, ids, hotline_db, journal = running
    before = settled_digest(hotline_db, journal)

    try:
        getattr(hotline, rpc)(platform="city", date_from="0001-01-01", date_to="2026-12-31")
    except ValidationFailed as refused:
        assert "date_from" in refused.fields, refused.to_dict()

    assert settled_digest(hotline_db, journal) == before, f"{rpc} changed the hotline database"

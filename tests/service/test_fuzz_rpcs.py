"""Hostile callers get nothing: every RPC of rosters, cases, volunteers, notifications and
hotline, called with arguments made from the schema it loads them with (`tests.fuzzing`), valid
and hostile values mixed, by actors of this community, of another and of the whole tree, over
the fakes (all but cases on the real store and journal over the in-memory database).

Each call gets a structured error naming a field, or an answer in plain JSON; a call the
contract refuses gets an error; a call that gets an error leaves every document and event as
it was; and the service answers a plain call afterwards. A new RPC is covered as soon as it
loads its arguments with a `StrictSchema`."""

import base64
import copy
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema
from nameko.testing.services import worker_factory

from services.cases.service import CasesService
from services.hotline.areas import Areas
from services.hotline.platforms.spreadsheet import SpreadsheetPlatform
from services.hotline.repository import JOURNAL as HOTLINE_JOURNAL
from services.hotline.repository import HotlineStore
from services.hotline.service import HotlineService
from services.hotline.settings import Limits, PlatformSettings
from services.hotline.settings import Settings as HotlineSettings
from services.notifications.channel import PermanentFailure
from services.notifications.channels.inbox import Inbox
from services.notifications.channels.registry import Channels
from services.notifications.repository import JOURNAL as NOTIFICATIONS_JOURNAL
from services.notifications.repository import NotificationsStore
from services.notifications.service import NotificationsService
from services.notifications.settings import Settings as NotificationsSettings
from services.rosters.demo import find_place, load_demo
from services.rosters.service import RostersService
from services.volunteers.repository import JOURNAL, VolunteersStore
from services.volunteers.service import VolunteersService
from shared.actor import Actor
from shared.errors import ValidationFailed
from shared.events import envelope
from shared.journal import Journal
from tests.conftest import rpc_names
from tests.fakes.clock import Clock
from tests.fakes.consumer import PassThrough
from tests.fakes.mongo import Died, FakeDatabase, Fuse
from tests.fuzzing import Crash, Drawn, Samples, StrayWrite, Tally, arguments, fuzz_settings, input_schema, judge
from tests.hotline_export import AREA_CODE, hotline_export
from tests.service.cases.making import case_in
from tests.service.conftest import POLICY, UNMASK_ROLES
from tests.service.fakes import FakeActorAccess, FakeCasesStore
from tests.service.hotline import conftest as hotlining
from tests.service.notifications import conftest as notifying
from tests.service.rosters.conftest import MONDAY_MORNING, OPS, Broker, kept, process, worker
from tests.service.street import KANG, LIU_HONG, jiayuan_roster
from tests.service.volunteers import conftest as volunteering

EXAMPLES, EXAMPLES_ON_CI = 50, 200
TALLY = Tally("service tier")
ROSTER_CSV = ("姓名,手机号,职务,小区,楼栋,单元,聘书编号,任期开始,任期结束\n"
              "康早新,13807310004,单元长,金昌花园,2栋,1单元,JY-0004,2023-01-01,2025-12-31\n")
JIAYUAN = ("雨花区", "雨花区/左家塘街道", "雨花区/左家塘街道/嘉园社区")  # place paths, root first
LIANFU = ("北湖区", "北湖区/北湖街道", "北湖区/北湖街道/联福社区")


#: (service, rpc) → the schema of its arguments, for an RPC whose schema cannot be found by
#: calling it (`input_schema`): one that reads or checks something before it loads them.
UNDISCOVERABLE: dict[tuple[str, str], type[Schema]] = {}


class Untouchable(Fuse):
    """Dies at any call at all: what an RPC reaches before it loads its arguments."""

    def check(self, collection: str, operation: str) -> None:
        raise Died(f"{operation} on {collection} before the arguments were loaded")


def copied(template: FakeDatabase) -> tuple[FakeDatabase, Broker]:
    """A fresh in-memory database holding the template's documents, and a broker on it."""
    db = FakeDatabase(Fuse())
    for name in template.list_collection_names():
        db[name].docs = copy.deepcopy(template[name].docs)
        db.created.add(name)
    return db, Broker(db.fuse)


class RostersWorld:
    """The demo street, an applicant and a screened applicant, and an import, copied afresh
    for every call."""

    def __init__(self):
        db = FakeDatabase(Fuse())
        rosters = worker(process(db, Broker(db.fuse), Clock(MONDAY_MORNING)))
        places = load_demo(rosters)
        unit = find_place(places, "嘉园社区/金昌花园/1栋/2单元")
        wang = rosters.register_person(name="王五", phone="13807310099")["person_id"]
        rosters.apply(person_id=wang, unit_id=unit, role="unit_leader")
        screened = rosters.apply(person_id=wang, unit_id=find_place(places, "嘉园社区/金昌花园/3栋/2单元"),
                                 role="unit_leader")
        rosters.screen(appointment_id=screened["appointment_id"], passed=True)
        job = rosters.import_roster(community_id=find_place(places, "嘉园社区"), filename="roster.csv",
                                    content_base64=base64.b64encode(ROSTER_CSV.encode()).decode())["job_id"]
        self.template, self.unit = db, unit
        self.actors = [OPS, OPS, Actor("曾玉琴", "secretary", tuple(places[p] for p in JIAYUAN)),
                       Actor("何涛", "zone_leader", tuple(places[p] for p in LIANFU))]
        ids = {name: sorted(db[name].docs) for name in ("units", "people", "appointments")}
        self.samples = Samples(
            ids={"community": [places[JIAYUAN[-1]], places[LIANFU[-1]]], "unit": ids["units"],
                 "person": ids["people"], "appointment": ids["appointments"], "job": [job]},
            values={"role": ["unit_leader", "building_leader", "grid_leader", "zone_leader", "secretary"],
                    "name": ["4栋", "王五", "康早新"], "phone": ["13807310004", "13807310099", "13900001111"],
                    "filename": ["roster.csv", "roster.xlsx"], "path": [p.split("/") for p in places],
                    "content_base64": [base64.b64encode(c).decode() for c in (
                        ROSTER_CSV.encode(), ROSTER_CSV.encode("gb18030"), b"\xff\xfe\x00", b"PK\x03\x04")]})

    def schema(self, rpc: str) -> Schema | None:
        if ("rosters", rpc) in UNDISCOVERABLE:
            return UNDISCOVERABLE["rosters", rpc]()
        db = FakeDatabase(Untouchable())
        rosters = worker(process(db, Broker(db.fuse), Clock(MONDAY_MORNING)))
        return input_schema(getattr(rosters, rpc))

    def open(self):
        db, broker = copied(self.template)
        store = process(db, broker, Clock(MONDAY_MORNING))
        return (lambda actor: worker(store, actor),
                lambda: (kept(db), len(broker.published)),
                lambda: worker(store).get_unit(unit_id=self.unit))


class CasesWorld:
    """Cases of 金昌花园 2栋 1单元 in every state a command starts from, and two meetings, over
    the fake store and roster, copied afresh for every call."""

    def __init__(self):
        store, roster, clock = FakeCasesStore(), jiayuan_roster(), Clock(MONDAY_MORNING)
        cases = [case_in(state, store, roster, clock)["_id"]
                 for state in ("reported", "escalated", "triaged", "dispatched", "accepted", "in_progress")]
        store.journal.state = lambda: {"unfinished_steps": 0}  # what the fake journal lacks of the real one
        self.template, self.roster, self.case = store, roster, cases[0]
        cases_rpc = self._worker(store, OPS)
        cases_rpc.resolve(case_id=cases[-1], result="疏通了")
        meeting = {"node_id": "unit_jc2", "title": "2栋木门换铁门议事会", "scheduled_at": "2026-03-20T19:30:00+08:00",
                   "agenda": [{"title": "木门换成铁门", "case_ids": [cases[0]]}]}
        scheduled = cases_rpc.schedule_meeting(**meeting)["meeting_id"]
        held = cases_rpc.schedule_meeting(**meeting)["meeting_id"]
        cases_rpc.record_meeting(meeting_id=held, eligible=3, attendees=[
            {"name": "王大爷", "role": "resident", "household": "101"},
            {"name": "李女士", "role": "resident", "household": "201"}],
            votes=[{"item": 0, "votes_for": 2}], minutes="两户同意", decision="换铁门",
            cost_split={"item": 0, "total_fen": 10000, "households": ["101", "201"]})
        self.actors = [OPS, OPS, KANG, LIU_HONG, Actor("何涛", "zone_leader", ("unit_beihu", "unit_lianfu"))]
        self.samples = Samples(
            ids={"unit": list(roster.units), "case": cases, "meeting": [scheduled, held]},
            values={"category": ["drains", "noise", "elderly_care", "fire_lane"], "household": ["101", "201"]})

    def _worker(self, store, actor) -> CasesService:
        service = worker_factory(CasesService, store=store, actor=FakeActorAccess(actor), policy=POLICY,
                                 rosters=None, roster_cache=None, config={"UNMASK_ROLES": UNMASK_ROLES},
                                 error_log=None)
        service._roster = lambda: self.roster
        return service

    def schema(self, rpc: str) -> Schema | None:
        if ("cases", rpc) in UNDISCOVERABLE:
            return UNDISCOVERABLE["cases", rpc]()
        service = self._worker(None, OPS)
        service._roster = None
        return input_schema(getattr(service, rpc))

    def open(self):
        store = copy.deepcopy(self.template)
        return (lambda actor: self._worker(store, actor), store.snapshot,
                lambda: self._worker(store, OPS).get_case(case_id=self.case))


class VolunteersWorld:
    """嘉园社区's legal team with six members (one paused), a patrol claimed, one under way with
    hours logged, one finished, one cancelled, and a task opened from a dispatched case, over the
    real store and journal on the in-memory database, copied afresh for every call."""

    def __init__(self):
        db = FakeDatabase(Fuse())
        broker = Broker(db.fuse)
        store = self._store(db, broker)
        self.people = volunteering.FakePeople(volunteering.PEOPLE, volunteering.UNITS)
        self.cases = volunteering.FakeCases()
        secretary = self._worker(store, volunteering.SECRETARY)
        team = secretary.create_team(node_id="unit_jiayuan", name="嘉园法律服务队", kind="legal", skills=["法律咨询"],
                                     categories=["neighbour_dispute"])
        members = [secretary.screen_member(member_id=secretary.apply_member(
            team_id=team["team_id"], phone=volunteering.phone_of(n))["member_id"], passed=True) for n in range(6)]
        secretary.set_member_status(member_id=members[5]["member_id"], status="paused", reason="出差")
        starts = datetime.now(UTC) + timedelta(days=1)
        patrol = {"team_id": team["team_id"], "kind": "patrol", "title": "2栋消防通道巡查", "headcount": 2,
                  "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}
        tasks = [secretary.open_task(**patrol)["task_id"] for _ in range(4)]
        for task_id in tasks:
            for n in (0, 1, 2):
                self._worker(store, volunteering.volunteer(f"person_{n}")).claim_task(task_id=task_id)
        claimant = self._worker(store, volunteering.volunteer("person_0"))
        for task_id in tasks[1:3]:
            claimant.start_task(task_id=task_id)
        hours = claimant.log_hours(task_id=tasks[1], actual_minutes=100)["hours_id"]
        claimant.finish_task(task_id=tasks[2], outcome="completed", result="通道已清理")
        secretary.cancel_task(task_id=tasks[3], reason="暴雨")
        self.cases.docs["case_leak"] = {"case_id": "case_leak", "category": "neighbour_dispute",
                                        "description": "楼上漏水到楼下", "unit_id": "unit_jc2", "deadlines": {}}
        dispatched = envelope("case_dispatched", {
            "case_id": "case_leak", "lineage": [*volunteering.JIAYUAN, "unit_jc2"],
            "detail": {"assignee": {"kind": "support_team", "party_id": team["team_id"]}}}, {"who": "cases"})
        tasks.append(secretary.on_case_dispatched(dispatched)["task_id"])
        self.template, self.task = db, tasks[0]
        self.actors = [OPS, OPS, volunteering.SECRETARY, volunteering.team_account(team),
                       volunteering.volunteer("person_0"), volunteering.volunteer("person_5"),
                       Actor("何涛", "zone_leader", volunteering.LIANFU)]
        self.samples = Samples(
            ids={"team": [team["team_id"]], "member": [m["member_id"] for m in members], "task": tasks,
                 "hours": [hours], "person": [m["person_id"] for m in members], "unit": list(volunteering.UNITS)},
            values={"phone": [volunteering.phone_of(n) for n in range(7)], "skills": [["法律咨询"], []],
                    "required_skills": [["法律咨询"], []], "category": ["neighbour_dispute"],
                    "date_from": ["2026-01-01"], "date_to": ["2027-12-31"]})

    @staticmethod
    def _store(db, broker) -> VolunteersStore:
        return VolunteersStore(db, Journal(db, broker.publish, clock=Clock(MONDAY_MORNING), **JOURNAL),
                               volunteering.CONFIG)

    def _worker(self, store, actor) -> VolunteersService:
        service = worker_factory(VolunteersService, store=store, actor=FakeActorAccess(actor),
                                 settings=volunteering.SETTINGS, config=volunteering.CONFIG, rosters=None, cases=None,
                                 error_log=None)
        service.consumer = PassThrough(service)
        service._people = lambda: self.people
        service._send_as = self.cases.as_team
        return service

    def schema(self, rpc: str) -> Schema | None:
        if ("volunteers", rpc) in UNDISCOVERABLE:
            return UNDISCOVERABLE["volunteers", rpc]()
        db = FakeDatabase(Untouchable())
        return input_schema(getattr(self._worker(self._store(db, Broker(db.fuse)), OPS), rpc))

    def open(self):
        db, broker = copied(self.template)
        store = self._store(db, broker)
        return (lambda actor: self._worker(store, actor),
                lambda: (kept(db), len(broker.published)),
                lambda: self._worker(store, OPS).get_task(task_id=self.task))


class NotificationsWorld:
    """A notice sent to 第一网格's leaders, one parked (every channel refusing), preferences and
    an inbox read, over the real store and journal on the in-memory database and fake rosters,
    volunteers, cases and channels, copied afresh for every call."""

    def __init__(self):
        db = FakeDatabase(Fuse())
        store = self._store(db, Broker(db.fuse))
        self.channels = {"sms": notifying.FakeChannel("sms", "phone"), "email": notifying.FakeChannel("email", "email")}
        secretary = self._worker(store, notifying.SECRETARY)
        water = {"title": "停水通知", "body": "8栋停水"}
        sent = secretary.notify(to=[{"node_id": "unit_grid1"}], fields=water, urgency="critical")
        self._worker(store, OPS).resume_fan_outs()
        self._worker(store, OPS).send_due()
        self.channels["sms"].broken = PermanentFailure("HTTP 400")
        parked = secretary.notify(to=[{"node_id": "unit_b8u1"}], fields=water, urgency="critical")
        self._worker(store, OPS).resume_fan_outs()
        self._worker(store, OPS).send_due()
        self.channels["sms"].broken = None
        leader = Actor("p1", "unit_leader", ())
        self._worker(store, leader).set_preferences(channels=["email", "sms"], addresses={"email": "p1@example.com"})
        messages = sorted(db["messages"].docs)
        self.template, self.notice = db, sent["notice_id"]
        self.actors = [OPS, OPS, notifying.SECRETARY, notifying.LEADER, leader,
                       Actor("何涛", "zone_leader", notifying.LIANFU)]
        self.samples = Samples(
            ids={"notice": [sent["notice_id"], parked["notice_id"]], "message": messages, "person": ["p1", "p3"],
                 "item": sorted(db["inbox"].docs), "node": list(notifying.UNITS), "team": ["team_legal"],
                 "unit": list(notifying.UNITS)},
            values={"template": ["notice", "case_dispatched"], "zone": ["Asia/Shanghai"],
                    "channels": [["email", "sms"], []], "role": ["unit_leader"]})

    @staticmethod
    def _store(db, broker) -> NotificationsStore:
        return NotificationsStore(db, Journal(db, broker.publish, clock=Clock(MONDAY_MORNING),
                                              **NOTIFICATIONS_JOURNAL), notifying.CONFIG)

    def _worker(self, store, actor) -> NotificationsService:
        wired = Channels(self.channels, {"sms": None, "email": None}, Inbox())
        service = worker_factory(NotificationsService, store=store, actor=FakeActorAccess(actor),
                                 settings=NotificationsSettings(), channels=wired, pool=SimpleNamespace(spawn=None),
                                 config=notifying.CONFIG, rosters=notifying.FakeProxy(notifying.rosters_answer),
                                 volunteers=notifying.FakeProxy(notifying.volunteers_answer),
                                 cases=notifying.FakeProxy(notifying.FakeCases()))
        service.consumer = PassThrough(service)
        return service

    def schema(self, rpc: str) -> Schema | None:
        if ("notifications", rpc) in UNDISCOVERABLE:
            return UNDISCOVERABLE["notifications", rpc]()
        db = FakeDatabase(Untouchable())
        return input_schema(getattr(self._worker(self._store(db, Broker(db.fuse)), OPS), rpc))

    def open(self):
        db, broker = copied(self.template)
        store = self._store(db, broker)
        return (lambda actor: self._worker(store, actor),
                lambda: (kept(db), len(broker.published)),
                lambda: self._worker(store, OPS).notice_status(notice_id=self.notice))


class HotlineWorld:
    """Tickets of 嘉园社区 from a platform with an API (one signed, one returned, one whose reply
    the platform refused, parked) and a record parked, and an export's tickets, one signed by
    hand with an extension waiting for the clerk and one whose sign waits, over the real store
    and journal on the in-memory database and fake cases, rosters and platform, copied afresh
    for every call."""

    def __init__(self):
        db = FakeDatabase(Fuse())
        store = self._store(db, Broker(db.fuse))
        self.cases, self.platform = hotlining.FakeCases(), hotlining.FakePlatform()
        export = PlatformSettings(name="export", adapter="spreadsheet", options={},
                                  areas={AREA_CODE: "unit_jiayuan"}, limits=Limits())
        fake = PlatformSettings(name="fake", adapter="fake", options={}, limits=Limits(), page_size=50,
                                areas={"JY": "雨花区/左家塘街道/嘉园社区", "LF": "unit_lianfu"})
        self.settings = HotlineSettings(platforms={"fake": fake, "export": export})
        self.adapters = {"fake": self.platform, "export": SpreadsheetPlatform("export", {})}
        ops = self._worker(store, OPS)
        self.platform.feed = [hotlining.ticket("A1"), hotlining.ticket("A2"), hotlining.ticket("A3"),
                              {"kind": "ticket", "ticket_no": "A9"}]
        ops.pull_now(platform="fake")
        ops.return_ticket(ticket_id="fake:A2", reason="不属于本社区辖区")
        self.platform.refuse["reply"] = "HTTP 409: not signed"
        ops.on_case_resolved(hotlining.case_event("case_resolved", "fake:A3", result="已处理"))
        ops.send_calls()
        self.platform.refuse.clear()
        content = hotline_export(tickets=2).content
        ops.import_tickets(platform="export", content_base64=base64.b64encode(content).decode())
        first = ops.manual_calls(platform="export")["calls"][0]
        signed = ops.confirm_entered(call_id=first["call_id"])["ticket_id"]
        ops.on_extension_requested(hotlining.case_event("case_extension_requested", signed, working_days=3,
                                                        reason="需协调产权单位"))
        ops.send_calls()
        self.template, self.ticket = db, "fake:A1"
        self.actors = [OPS, OPS, hotlining.SECRETARY, hotlining.OTHER_SECRETARY,
                       Actor("康早新", "unit_leader", (*hotlining.JIAYUAN, "unit_jc2")), Actor("p1", "resident", ())]
        parked = [d["_id"] for name in ("calls", "records") for d in db[name].docs.values() if d["state"] == "parked"]
        self.samples = Samples(
            ids={"ticket": sorted(db["tickets"].docs), "call": sorted(db["calls"].docs), "parked": sorted(parked),
                 "platform": ["fake", "export"], "unit": [*hotlining.JIAYUAN, "unit_lianfu"],
                 "event": ["evt_unknown"]},
            values={"content_base64": [base64.b64encode(c).decode() for c in (content, b"PK\x03\x04", b"\xd0\xcf")],
                    "filename": ["工单导出.xlsx"], "reason": ["不属于本社区辖区"], "date_from": ["2026-12-01"],
                    "date_to": ["2026-12-31"], "handler": ["on_case_resolved", "on_extension_requested"]})

    @staticmethod
    def _store(db, broker) -> HotlineStore:
        store = HotlineStore(db, Journal(db, broker.publish, clock=Clock(hotlining.MORNING), **HOTLINE_JOURNAL))
        for queue in (store.calls, store.case_calls):  # what the in-memory database lacks: aggregate
            queue.count_by_state = lambda query=None, coll=queue.coll: dict(
                Counter(d["state"] for d in coll.find(dict(query or {}))))
        return store

    def _worker(self, store, actor) -> HotlineService:
        service = worker_factory(HotlineService, store=store, actor=FakeActorAccess(actor), settings=self.settings,
                                 adapters=self.adapters, config={"CASES_TIMEOUT_SECONDS": 1},
                                 cases=notifying.FakeProxy(self.cases),
                                 rosters=notifying.FakeProxy(hotlining.rosters_answer), areas=Areas(60),
                                 pool=SimpleNamespace(imap=map))
        service.consumer = PassThrough(service)
        return service

    def schema(self, rpc: str) -> Schema | None:
        if ("hotline", rpc) in UNDISCOVERABLE:
            return UNDISCOVERABLE["hotline", rpc]()
        db = FakeDatabase(Untouchable())
        return input_schema(getattr(self._worker(self._store(db, Broker(db.fuse)), OPS), rpc))

    def open(self):
        db, broker = copied(self.template)
        store = self._store(db, broker)
        return (lambda actor: self._worker(store, actor),
                lambda: (kept(db), len(broker.published)),
                lambda: self._worker(store, OPS).get_ticket(ticket_id=self.ticket))


WORLDS = {"rosters": (RostersService, RostersWorld), "cases": (CasesService, CasesWorld),
          "volunteers": (VolunteersService, VolunteersWorld),
          "notifications": (NotificationsService, NotificationsWorld), "hotline": (HotlineService, HotlineWorld)}
BUILT: dict[str, object] = {}
RPCS = [(service, rpc) for service, (cls, _) in WORLDS.items() for rpc in sorted(rpc_names(cls))]


def world(service: str):
    if service not in BUILT:
        BUILT[service] = WORLDS[service][1]()
    return BUILT[service]


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    started = time.monotonic()
    yield
    TALLY.report(request.config, time.monotonic() - started)


@pytest.mark.parametrize("service", sorted(WORLDS))
def test_every_rpc_has_arguments_made_from_the_schema_it_loads(service):
    cls, _ = WORLDS[service]

    missing = [rpc for rpc in sorted(rpc_names(cls)) if world(service).schema(rpc) is None]

    assert not missing, (f"{service}: no input schema found for {missing}: load the arguments with a "
                         "StrictSchema first, or name the schema in UNDISCOVERABLE")


@pytest.mark.parametrize(("service", "rpc"), RPCS, ids=[f"{s}.{r}" for s, r in RPCS])
def test_hostile_arguments_get_a_structured_error_and_change_nothing(service, rpc):
    here = world(service)
    schema = here.schema(rpc)
    assert schema is not None, f"{service}.{rpc}: no input schema found"

    @fuzz_settings(EXAMPLES, EXAMPLES_ON_CI)
    @given(call=arguments(schema, here.samples), actor=st.sampled_from(here.actors))
    def one_call(call: Drawn, actor: Actor):
        as_actor, digest, plain_call = here.open()
        judge(TALLY, f"{service}.{rpc}", lambda: getattr(as_actor(actor), rpc)(**call.value), call, digest)
        plain_call()

    one_call()


# service, rpc, arguments ("@case" and "@unit": a case and a unit of the data) that once crashed
FOUND = [
    ("cases", "escalate", {"case_id": "@case", "request_id": "\x000", "note": "\ud800栋"}),
    ("rosters", "rename_unit", {"unit_id": "@unit", "name": "\ud800栋", "request_id": "r1"}),
    ("rosters", "pii_reads", {"date_from": "1970-01-01", "date_to": "9999-12-31"}),
]


@pytest.mark.parametrize(("service", "rpc", "arguments"), FOUND, ids=[f"{s}.{r}" for s, r, _ in FOUND])
def test_inputs_the_fuzz_found_get_a_structured_error_and_change_nothing(service, rpc, arguments):
    here = world(service)
    as_actor, digest, plain_call = here.open()
    places = {"@case": getattr(here, "case", None), "@unit": getattr(here, "unit", None)}
    call = Drawn({k: places.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()})

    outcome = judge(Tally("found"), f"{service}.{rpc}", lambda: getattr(as_actor(OPS), rpc)(**call.value), call,
                    digest)

    assert outcome != "answered"
    plain_call()


def test_a_refusal_after_a_write_is_a_stray_write():
    kept: list[str] = []

    def writes_then_refuses():
        kept.append("a write")
        raise ValidationFailed("refused", [{"field": "name", "reason": "refused"}])

    with pytest.raises(StrayWrite):
        judge(Tally("self-check"), "rpc", writes_then_refuses, Drawn({}), lambda: len(kept))


def test_an_answer_to_input_the_contract_refuses_fails_and_so_does_an_unexpected_error():
    with pytest.raises(Crash, match="contract refuses"):
        judge(Tally("self-check"), "rpc", lambda: {}, Drawn({"name": 42}, ("name: wrong type",)), lambda: 0)
    with pytest.raises(Crash, match="OverflowError"):
        judge(Tally("self-check"), "rpc", lambda: date.max + timedelta(days=1), Drawn({}), lambda: 0)

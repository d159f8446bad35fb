"""Hostile callers get nothing, through the real broker and database: every RPC of rosters,
cases, volunteers, notifications and hotline called over a `ClusterRpcProxy` with arguments made
from the schema it loads them with (`tests.fuzzing`), fewer calls than the service tier but each
one over the wire, with strings long enough to pass the database's document limit.

Each call gets a structured remote error naming a field, or an answer; a call the contract
refuses gets an error; a call that gets an error leaves the service's database as it was
(`settled_digest`); and after each RPC's calls the service answers a plain call."""

import base64
import dataclasses
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nameko.testing.services import restrict_entrypoints

from services.cases.service import CasesService
from services.hotline.service import HotlineService
from services.notifications.service import NotificationsService
from services.rosters.demo import find_place
from services.rosters.service import RostersService
from services.volunteers.service import VolunteersService
from tests.conftest import rpc_names
from tests.fuzzing import Drawn, Samples, Tally, arguments, fuzz_settings, judge, unbounded_texts
from tests.hotline_export import AREA_CODE, hotline_export
from tests.integration.cases.conftest import (  # noqa: F401 - fixtures
    cases_config,
    cases_db,
    cases_service,
    demo,
    drain_report,
    rosters,
    rosters_db,
    rosters_service,
)
from tests.integration.hotline.conftest import (  # noqa: F401 - fixtures
    AREAS,
    hotline_config,
    hotline_db,
    platform,
    simulator,
)
from tests.integration.notifications.conftest import (  # noqa: F401 - fixtures
    endpoints,
    no_leftover_case_events,
    notifications_config,
    notifications_db,
    providers,
)
from tests.integration.snapshots import settled_digest
from tests.integration.volunteers.conftest import (  # noqa: F401 - fixtures
    enlist,
    member_phone,
    no_leftover_dispatches,
    task_window,
    team,
    volunteers,
    volunteers_config,
    volunteers_db,
    volunteers_service,
)
from tests.service.test_fuzz_rpcs import (
    JIAYUAN,
    LIANFU,
    CasesWorld,
    HotlineWorld,
    NotificationsWorld,
    RostersWorld,
    VolunteersWorld,
)

EXAMPLES = 20
LONGEST = 6_000_000  # "栋" * 6,000,000 is 18 MB in UTF-8: past the 16 MB a document may hold
TALLY = Tally("integration tier")


class Digest:
    """The settled digest of a service's database. The digest before a call is the one after
    the call before it, unless that call was answered (then `forget` it): a refused call left
    the database as it was, which the digest after it shows."""

    def __init__(self, container, db):
        self.db, self.known, self.before_next = db, None, True
        self.journal = next(d for d in container.dependencies if d.attr_name == "store").store.journal

    def __call__(self) -> str:
        if self.before_next and self.known is not None:
            self.before_next = False
            return self.known
        self.before_next = not self.before_next
        self.known = settled_digest(self.db, self.journal, pause=0.02)
        return self.known

    def forget(self) -> None:
        self.known, self.before_next = None, True


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    started = time.monotonic()
    yield
    TALLY.report(request.config, time.monotonic() - started)


def callers(rpc_as, places: dict[str, str]) -> list:
    """The whole tree (twice as often), 嘉园社区's secretary, and 联福社区's zone leader."""
    admin = rpc_as()
    return [admin, admin, rpc_as("曾玉琴", "secretary", [places[p] for p in JIAYUAN]),
            rpc_as("何涛", "zone_leader", [places[p] for p in LIANFU])]


def real_ids(samples: Samples, db, places: dict[str, str], **kinds: list[str]) -> Samples:
    ids = {"community": [places[JIAYUAN[-1]], places[LIANFU[-1]]], "unit": sorted(places.values()), **kinds}
    return dataclasses.replace(samples, ids=ids, longest=LONGEST)


def judged(service: str, rpc: str, proxy, call: Drawn, digest: Digest) -> None:
    remote = getattr(getattr(proxy, service), rpc)
    try:
        outcome = judge(TALLY, f"{service}.{rpc}", lambda: remote(**call.value), call, digest)
    except AssertionError:
        digest.forget()
        raise
    if outcome == "answered":
        digest.forget()


def fuzz_one(service: str, rpc: str, schema, samples: Samples, proxies: list, digest: Digest) -> None:
    """Calls made from the schema, then (for each field taking text of any length) valid calls
    with a text past the database's document limit there."""

    @fuzz_settings(EXAMPLES)
    @given(call=arguments(schema, samples), caller=st.sampled_from(range(len(proxies))))
    def one_call(call: Drawn, caller: int):
        judged(service, rpc, proxies[caller], call, digest)

    @fuzz_settings(max(1, 2 * len(unbounded_texts(schema))))
    @given(call=arguments(schema, samples, hostility=0), key=st.sampled_from(unbounded_texts(schema) or [""]))
    def one_huge_text(call: Drawn, key: str):
        judged(service, rpc, proxies[0], Drawn({**call.value, key: "栋" * LONGEST}, call.refused), digest)

    one_call()
    if unbounded_texts(schema):
        one_huge_text()


def fuzz(service: str, cls: type, schema_of: Callable, samples: Samples, proxies: list, digest: Digest,
         plain_call: Callable) -> list[str]:
    """Every RPC's calls, then a plain call; the failures, each with its example."""
    failures = []
    for rpc in sorted(rpc_names(cls)):
        schema = schema_of(rpc)
        try:
            assert schema is not None, "no input schema found"
            fuzz_one(service, rpc, schema, samples, proxies, digest)
        except Exception as error:  # noqa: BLE001 - every RPC is tried, and every failure reported
            notes = "\n    ".join(getattr(error, "__notes__", []))
            failures.append(f"{service}.{rpc}: {error}\n    {notes}")
        plain_call()
        digest.forget()  # a plain call may write (an unmasked read is audited)
    return failures


def test_hostile_callers_get_nothing_from_rosters(rosters_service, rosters_db, demo, rpc_as):  # noqa: F811
    world = RostersWorld()
    proxies = callers(rpc_as, demo)
    admin = proxies[0].rosters
    [kang] = admin.search_people(name="康早新")
    admin.apply(person_id=kang["person_id"], unit_id=find_place(demo, "嘉园社区/金昌花园/3栋/2单元"),
                role="unit_leader")
    kinds = {kind: sorted(d["_id"] for d in rosters_db[name].find({}, {"_id": 1}))
             for kind, name in (("person", "people"), ("appointment", "appointments"), ("job", "imports"))}
    community = find_place(demo, "嘉园社区")

    failures = fuzz("rosters", RostersService, world.schema, real_ids(world.samples, rosters_db, demo, **kinds),
                    proxies, Digest(rosters_service, rosters_db), lambda: admin.get_unit(unit_id=community))

    assert not failures, "\n".join(failures)


def test_hostile_callers_get_nothing_from_cases(cases_service, cases_db, demo, rpc_as):  # noqa: F811
    world = CasesWorld()
    proxies = callers(rpc_as, demo)
    admin = proxies[0].cases
    unit, building = find_place(demo, "嘉园社区/金昌花园/2栋/1单元"), find_place(demo, "嘉园社区/金昌花园/2栋")
    reported = admin.report(**drain_report(unit))["case_id"]
    escalated = admin.escalate(case_id=admin.report(**drain_report(unit))["case_id"], note="需要专业疏通车")
    triaged = admin.triage(case_id=admin.escalate(case_id=admin.report(**drain_report(unit))["case_id"])["case_id"])
    meeting = admin.schedule_meeting(node_id=building, title="2栋木门换铁门议事会",
                                     scheduled_at="2026-03-20T19:30:00+08:00",
                                     agenda=[{"title": "木门换成铁门", "case_ids": [reported]}])["meeting_id"]
    elsewhere = admin.report(**drain_report(find_place(demo, "联福社区/华尔星城/二期8栋/1单元")))["case_id"]
    samples = real_ids(world.samples, cases_db, demo, meeting=[meeting],
                       case=[reported, escalated["case_id"], triaged["case_id"], elsewhere])

    failures = fuzz("cases", CasesService, world.schema, samples, proxies, Digest(cases_service, cases_db),
                    lambda: admin.get_case(case_id=reported))

    assert not failures, "\n".join(failures)


def volunteers_callers(rpc_as, places: dict[str, str], team: dict, member: dict) -> list:  # noqa: F811
    """`callers`, and the team's own account and one of its members."""
    return [*callers(rpc_as, places), rpc_as(team["team_id"], "support_team", team["lineage"]),
            rpc_as(member["person_id"], "volunteer")]


def test_hostile_callers_get_nothing_from_volunteers(volunteers_service, volunteers_db, demo, rpc_as, team,  # noqa: F811
                                                     enlist):  # noqa: F811
    world = VolunteersWorld()
    members = enlist(team, 3)
    proxies = volunteers_callers(rpc_as, demo, team, members[0])
    admin = proxies[0].volunteers
    tasks = [admin.open_task(team_id=team["team_id"], kind="patrol", title="2栋消防通道巡查", headcount=2,
                             **task_window())["task_id"] for _ in range(3)]
    as_member = proxies[-1].volunteers
    for task_id in tasks[:2]:
        as_member.claim_task(task_id=task_id)
    as_member.start_task(task_id=tasks[1])
    hours = as_member.log_hours(task_id=tasks[1], actual_minutes=90)["hours_id"]
    samples = real_ids(world.samples, volunteers_db, demo, team=[team["team_id"]], task=tasks, hours=[hours],
                       member=[m["member_id"] for m in members], person=[m["person_id"] for m in members])
    samples = dataclasses.replace(samples, values={**samples.values,
                                                   "phone": [member_phone(n) for n in range(4)]})

    failures = fuzz("volunteers", VolunteersService, world.schema, samples, proxies,
                    Digest(volunteers_service, volunteers_db), lambda: admin.get_task(task_id=tasks[0]))

    assert not failures, "\n".join(failures)


def test_hostile_callers_get_nothing_from_notifications(stack, container_factory, notifications_config,  # noqa: F811
                                                        notifications_db, volunteers_service, demo, rpc_as):  # noqa: F811
    """Only the RPC entrypoints run: what the timers would do after an answered call, and the
    events of the demo street still being published, would otherwise land while the next call
    is judged."""
    container = container_factory(NotificationsService, notifications_config)
    restrict_entrypoints(container, *sorted(rpc_names(NotificationsService)))
    container.start()
    world = NotificationsWorld()
    proxies = callers(rpc_as, demo)
    admin = proxies[0].notifications
    water = {"title": "停水通知", "body": "8栋停水"}
    notice = admin.notify(to=[{"node_id": find_place(demo, "嘉园社区/金昌花园")}], fields=water, urgency="critical")
    people = [p["person_id"] for p in proxies[0].rosters.search_people(place_id=find_place(demo, "嘉园社区"), limit=5)]
    listed = admin.notify(to=[{"people": people}], fields=water)
    samples = real_ids(world.samples, notifications_db, demo, notice=[notice["notice_id"], listed["notice_id"]],
                       person=people, node=sorted(demo.values()), message=["msg_unknown"], item=["msg_unknown"],
                       team=["team_unknown"])

    failures = fuzz("notifications", NotificationsService, world.schema, samples, proxies,
                    Digest(container, notifications_db), lambda: admin.notice_status(notice_id=notice["notice_id"]))

    assert not failures, "\n".join(failures)



NOISY = {"received_at": "2026-12-01T09:12:00+08:00", "request_type": "投诉", "citizen_name": "王先生",
         "citizen_phone": "13812345678", "content": "隔壁商铺空调外机距住宅仅3米，噪音大、热风直吹",
         "address": "金昌花园2栋", "category": "噪声扰民", "area_code": "JY"}
TICKET_NUMBERS = [f"JY202612010000{n}" for n in (1, 2, 3)]


def hotline_data(admin, platform, hotline_db) -> dict[str, list[str]]:  # noqa: F811
    """Three tickets pulled and signed, one returned, one whose return the platform refused
    (parked), a record parked, and an export's two tickets, the first signed by hand: the ids
    by kind."""
    platform.add(*({**NOISY, "ticket_no": no} for no in TICKET_NUMBERS))
    platform.malformed({"type": "ticket", "ticket_no": "JY2026120199999"})
    admin.pull_now(platform="city")
    admin.return_ticket(ticket_id=f"city:{TICKET_NUMBERS[1]}", reason="不属于本社区辖区")
    platform.behave(return_window_hours=0)
    admin.return_ticket(ticket_id=f"city:{TICKET_NUMBERS[2]}", reason="不属于本社区辖区")
    admin.import_tickets(platform="export", content_base64=base64.b64encode(hotline_export(tickets=2).content).decode())
    admin.confirm_entered(call_id=admin.manual_calls(platform="export")["calls"][0]["call_id"])
    kinds = {kind: sorted(d["_id"] for d in hotline_db[name].find({}, {"_id": 1}))
             for kind, name in (("ticket", "tickets"), ("call", "calls"))}
    parked = sorted(d["_id"] for name in ("calls", "records") for d in hotline_db[name].find({"state": "parked"}))
    assert len(parked) == 2, parked
    return {**kinds, "parked": parked}


def test_hostile_callers_get_nothing_from_hotline(container_factory, hotline_config, hotline_db, platform,  # noqa: F811
                                                  cases_service, demo, rpc_as):  # noqa: F811
    """Only the RPC entrypoints run: the timers would pull, send and call cases between two
    calls, and cases' events be consumed, while the next call is judged."""
    configured = dict(hotline_config["PLATFORMS"])
    configured["export"] = {**configured["export"], "areas": {**AREAS, AREA_CODE: AREAS["JY"]}}
    container = container_factory(HotlineService, {**hotline_config, "PLATFORMS": configured})
    restrict_entrypoints(container, *sorted(rpc_names(HotlineService)))
    container.start()
    world = HotlineWorld()
    proxies = callers(rpc_as, demo)
    admin = proxies[0].hotline
    samples = real_ids(world.samples, hotline_db, demo, **hotline_data(admin, platform, hotline_db),
                       platform=["city", "export"], event=["evt_unknown"])

    failures = fuzz("hotline", HotlineService, world.schema, samples, proxies, Digest(container, hotline_db),
                    lambda: admin.get_ticket(ticket_id=f"city:{TICKET_NUMBERS[0]}"))

    assert not failures, "\n".join(failures)

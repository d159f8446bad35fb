"""Every cases RPC rejects bad input with a structured error naming the field, and leaves every
document of the cases database as it was.

Here through the broker and the database: one input the schema refuses per RPC, and every
rule that needs the database (a case or meeting that is not there or not in the right state, a
place rosters does not know). Every input the schemas refuse is in
`tests/service/cases/test_bad_input.py`, which needs neither."""


import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from services.cases.exceptions import CaseNotFound, MeetingNotFound
from services.cases.service import CasesService
from services.rosters.demo import find_place, load_demo
from services.rosters.service import RostersService
from shared.errors import InvalidTransition, LinliError, ValidationFailed
from shared.ids import new_id
from shared.mongo import mongo_client
from tests.conftest import actor_context, rpc_names, service_config
from tests.integration.cases.conftest import drain_report
from tests.integration.snapshots import settled_digest

UNIT = "@金昌花园/2栋/1单元"
BUILDING = "@金昌花园/2栋"
HOUSEHOLDS = ["2栋1单元101", "2栋1单元201", "2栋1单元301"]
ATTENDEES = [{"name": "曾玉琴", "role": "party_branch"}, {"name": "康早新", "role": "leader"},
             {"name": "王大爷", "role": "resident", "household": "2栋1单元301"},
             {"name": "李女士", "role": "resident", "household": "2栋1单元201"},
             {"name": "张师傅", "role": "resident", "household": "2栋1单元101"}]
PARTIES = [{"name": "王大爷", "household": "2栋1单元301", "side": "respondent"},
           {"name": "李女士", "household": "2栋1单元201", "side": "claimant"}]
MEDIATION = {"mediator": "刘红", "parties": PARTIES, "agreement": "王大爷修好防水层，赔偿李女士吊顶"}
GATE_MEETING = {"node_id": BUILDING, "kind": "building", "title": "2栋木门换铁门议事会",
                "scheduled_at": "2026-03-20T19:30:00+08:00", "agenda": [{"title": "木门换成铁门，费用按户分摊"}]}
HELD = {"meeting_id": "@meeting:scheduled", "eligible": 4, "attendees": ATTENDEES,
        "votes": [{"item": 0, "votes_for": 2, "votes_against": 1}], "minutes": "三户到会，两户同意换铁门",
        "decision": "换铁门，费用按户平摊，交费领钥匙"}
SPLIT = {"item": 0, "total_fen": 10000, "households": HOUSEHOLDS}
INVITED = {**GATE_MEETING, "invitees": [{"name": f"{h}业主", "role": "household", "household": h} for h in HOUSEHOLDS]}
STRANGER = {"name": "3栋住户", "role": "resident", "household": "3栋1单元101"}


def report(**changes) -> dict:
    return {**drain_report(UNIT), **changes}


def report_without(field: str) -> dict:
    return {k: v for k, v in report().items() if k != field}


# rpc, arguments ("@…" is a case, a meeting or a demo place made before the call), error, field
CASES = [
    ("report", report_without("description"), ValidationFailed, "description"),
    ("report", report(category="spaceships"), ValidationFailed, "category"),
    ("report", report(description="2栋下水道堵塞\ud800"), ValidationFailed, "description"),
    ("report", report(unit_id="unit_nowhere"), ValidationFailed, "unit_id"),
    ("report", report(unit_id="@左家塘街道"), ValidationFailed, "unit_id"),
    ("self_resolve", {"case_id": "@case:reported"}, ValidationFailed, "result"),
    ("self_resolve", {"case_id": "case_nowhere", "result": "疏通了"}, CaseNotFound, "case_id"),
    ("self_resolve", {"case_id": "@case:escalated", "result": "疏通了"}, InvalidTransition, "state"),
    ("escalate", {"note": "需要专业疏通车"}, ValidationFailed, "case_id"),
    ("escalate", {"case_id": "@case:escalated"}, InvalidTransition, "state"),
    ("triage", {"case_id": "@case:reported"}, InvalidTransition, "state"),
    ("triage", {"case_id": "@case:escalated", "category": "spaceships"}, ValidationFailed, "category"),
    ("triage", {"case_id": "@case:escalated", "urgency": "whenever"}, ValidationFailed, "urgency"),
    ("triage", {"case_id": "case_nowhere"}, CaseNotFound, "case_id"),
    ("dispatch", {"case_id": "@case:triaged"}, ValidationFailed, "assignee"),
    ("dispatch", {"case_id": "@case:escalated", "assignee": {"kind": "community", "name": "嘉园社区"}},
     InvalidTransition, "state"),
    ("accept", {"case_id": 7}, ValidationFailed, "case_id"),
    ("accept", {"case_id": "case_nowhere"}, CaseNotFound, "case_id"),
    ("accept", {"case_id": "@case:reported"}, InvalidTransition, "state"),
    ("return_case", {"case_id": "@case:dispatched"}, ValidationFailed, "reason"),
    ("return_case", {"case_id": "@case:reported", "reason": "不属于本单位"}, InvalidTransition, "state"),
    ("progress", {"case_id": "@case:in_progress"}, ValidationFailed, "note"),
    ("progress", {"case_id": "@case:dispatched", "note": "已上门"}, InvalidTransition, "state"),
    ("mediate", {"case_id": "@case:in_progress", **MEDIATION, "parties": PARTIES[:1]}, ValidationFailed, "parties"),
    ("mediate", {"case_id": "@case:dispatched", **MEDIATION}, InvalidTransition, "state"),
    ("resolve", {"case_id": "@case:in_progress", "result": ""}, ValidationFailed, "result"),
    ("resolve", {"case_id": "@case:escalated", "result": "疏通了"}, InvalidTransition, "state"),
    ("resolve", {"case_id": "@case:in_meeting", "result": "已换铁门"}, ValidationFailed, "meeting_note"),
    ("evaluate", {"case_id": "@case:resolved", "satisfied": False}, ValidationFailed, "reason"),
    ("evaluate", {"case_id": "@case:resolved"}, ValidationFailed, "satisfied"),
    ("evaluate", {"case_id": "@case:in_progress", "satisfied": True}, InvalidTransition, "state"),
    ("suspend", {"case_id": "@case:in_progress"}, ValidationFailed, "reason"),
    ("suspend", {"case_id": "@case:reported", "reason": "等待管网改造"}, InvalidTransition, "state"),
    ("suspend", {"case_id": "@case:closed", "reason": "等待管网改造"}, InvalidTransition, "state"),
    ("resume", {"case_id": "@case:in_progress"}, InvalidTransition, "state"),
    ("resume", {"case_id": "case_nowhere"}, CaseNotFound, "case_id"),
    ("request_extension", {"case_id": "@case:in_progress", "working_days": 0, "reason": "协调施工"},
     ValidationFailed, "working_days"),
    ("request_extension", {"case_id": "@case:escalated", "working_days": 3, "reason": "协调施工"},
     InvalidTransition, "state"),
    ("request_extension", {"case_id": "@case:extension_requested", "working_days": 3, "reason": "再延几天"},
     InvalidTransition, "extension"),
    ("decide_extension", {"case_id": "@case:extension_requested"}, ValidationFailed, "granted"),
    ("decide_extension", {"case_id": "@case:in_progress", "granted": True}, InvalidTransition, "extension"),
    ("decide_extension", {"case_id": "@case:resolved", "granted": True}, InvalidTransition, "state"),
    ("mark_duplicate", {"case_id": "@case:reported"}, ValidationFailed, "duplicate_of"),
    ("mark_duplicate", {"case_id": "@case:reported", "duplicate_of": "@case:reported"},
     ValidationFailed, "duplicate_of"),
    ("mark_duplicate", {"case_id": "@case:reported", "duplicate_of": "case_nowhere"}, CaseNotFound, "duplicate_of"),
    ("mark_duplicate", {"case_id": "case_nowhere", "duplicate_of": "@case:reported"}, CaseNotFound, "case_id"),
    ("mark_duplicate", {"case_id": "@case:dispatched", "duplicate_of": "@case:reported"},
     InvalidTransition, "state"),
    ("send_back", {"case_id": "@case:reported"}, ValidationFailed, "reason"),
    ("send_back", {"case_id": "case_nowhere", "reason": "属联福社区辖区"}, CaseNotFound, "case_id"),
    ("send_back", {"case_id": "@case:dispatched", "reason": "属联福社区辖区"}, InvalidTransition, "state"),
    ("send_back", {"case_id": "@case:closed", "reason": "属联福社区辖区"}, InvalidTransition, "state"),
    ("get_case", {}, ValidationFailed, "case_id"),
    ("get_case", {"case_id": "case_nowhere"}, CaseNotFound, "case_id"),
    ("search", {"limit": 0}, ValidationFailed, "limit"),
    ("stats", {"node_id": "@金昌花园", "date_from": "2026-03-10", "date_to": "2026-03-01"},
     ValidationFailed, "date_to"),
    ("stats", {"node_id": "unit_nowhere", "date_from": "2026-03-01", "date_to": "2026-03-10"},
     ValidationFailed, "node_id"),
    ("stats", {"node_id": "@金昌花园/2栋/1单元", "date_from": "2026-03-01", "date_to": "9999-12-31"},
     ValidationFailed, "date_to"),
    ("stats", {"node_id": "@金昌花园/2栋", "date_from": "2010-01-01"}, ValidationFailed, "date_from"),
    ("schedule_meeting", {**GATE_MEETING, "scheduled_at": "2026-03-20T19:30:00"}, ValidationFailed, "scheduled_at"),
    ("schedule_meeting", {**GATE_MEETING, "node_id": "unit_nowhere"}, ValidationFailed, "node_id"),
    ("schedule_meeting", {**GATE_MEETING, "scheduled_at": "0001-01-01T00:00+14:00"}, ValidationFailed, "scheduled_at"),
    ("schedule_meeting", {**GATE_MEETING, "invitees": [{"name": "王大爷", "role": "household"}]},
     ValidationFailed, "invitees.0.household"),
    ("schedule_meeting", {**GATE_MEETING, "agenda": [{"title": "换铁门", "case_ids": ["@case:self_resolved"]}]},
     InvalidTransition, "state"),
    ("schedule_meeting", {**GATE_MEETING, "node_id": "@左家塘街道"}, ValidationFailed, "node_id"),
    ("schedule_meeting", {**GATE_MEETING, "agenda": [{"title": "换铁门", "case_ids": ["case_nowhere"]}]},
     CaseNotFound, "agenda.case_ids"),
    ("schedule_meeting", {**GATE_MEETING, "agenda": [{"title": "换铁门", "case_ids": ["@case:closed"]}]},
     InvalidTransition, "state"),
    ("schedule_meeting", {**GATE_MEETING, "agenda": [{"title": "换铁门", "case_ids": ["@case:reported",
                                                                                 "@case:closed"]}]},
     InvalidTransition, "state"),
    ("record_meeting", {**HELD, "meeting_id": "mtg_nowhere"}, MeetingNotFound, "meeting_id"),
    ("record_meeting", {**HELD, "meeting_id": "@meeting:held"}, InvalidTransition, "meeting_id"),
    ("record_meeting", {**HELD, "eligible": 2}, ValidationFailed, "attendees"),
    ("record_meeting", {**HELD, "eligible": None}, ValidationFailed, "eligible"),
    ("record_meeting", {**HELD, "held_at": "2026-03-20T19:29:00+08:00"}, ValidationFailed, "held_at"),
    ("record_meeting", {**HELD, "held_at": "0001-01-01T00:00+14:00"}, ValidationFailed, "held_at"),
    ("record_meeting", {**HELD, "meeting_id": "@meeting:invited", "attendees": [*ATTENDEES, STRANGER]},
     ValidationFailed, "attendees.5.household"),
    ("record_meeting", {**HELD, "votes": [{"item": 3, "votes_for": 4}]}, ValidationFailed, "votes"),
    ("record_meeting", {**HELD, "votes": [{"item": 0, "votes_for": 1}], "cost_split": SPLIT},
     ValidationFailed, "cost_split.item"),
    ("record_meeting", {**HELD, "cost_split": {**SPLIT, "item": 1}}, ValidationFailed, "cost_split.item"),
    ("record_payment", {"meeting_id": "@meeting:held", "household": "3栋1单元101"}, ValidationFailed, "household"),
    ("record_payment", {"meeting_id": "@meeting:scheduled", "household": HOUSEHOLDS[0]},
     ValidationFailed, "household"),
    ("record_payment", {"meeting_id": "@meeting:held", "household": HOUSEHOLDS[0], "keys_handed_over": "yes please"},
     ValidationFailed, "keys_handed_over"),
    ("record_payment", {"meeting_id": "mtg_nowhere", "household": HOUSEHOLDS[0]}, MeetingNotFound, "meeting_id"),
    ("get_meeting", {}, ValidationFailed, "meeting_id"),
    ("get_meeting", {"meeting_id": "mtg_nowhere"}, MeetingNotFound, "meeting_id"),
    ("journal_state", {"verbose": True}, ValidationFailed, "verbose"),
    ("labels", {"language": "en"}, ValidationFailed, "language"),
    ("input_schemas", {"names": ["Report"]}, ValidationFailed, "names"),
]
RPCS = ["report", "self_resolve", "escalate", "triage", "dispatch", "accept", "return_case", "progress", "mediate",
        "resolve", "evaluate", "suspend", "resume", "request_extension", "decide_extension", "mark_duplicate",
        "send_back", "get_case", "search", "stats", "schedule_meeting", "record_meeting", "record_payment",
        "get_meeting", "journal_state", "labels", "input_schemas"]


@pytest.fixture(scope="module")
def running(stack):
    """One rosters and one cases service with the demo street for the whole table: a bad call
    changes nothing, so the rows can share them."""
    name = new_id("test").replace("_", "")
    containers = [ServiceContainer(RostersService, service_config(stack, ROSTERS_DB=name)),
                  ServiceContainer(CasesService, service_config(stack, CASES_DB=f"{name}cases",
                                                                OVERDUE_SCAN_SECONDS=3600))]
    for container in containers:
        container.start()
    client = mongo_client(stack.mongo_uri)
    with ClusterRpcProxy(service_config(stack), context_data=actor_context(), timeout=20) as rpc:
        places = load_demo(rpc.rosters)
        journal = next(d for d in containers[1].dependencies if d.attr_name == "store").store.journal
        yield rpc.cases, places, client[f"{name}cases"], journal
    for container in containers:
        container.stop()
    client.drop_database(name)
    client.drop_database(f"{name}cases")
    client.close()


@pytest.fixture
def cases(running):
    return running[0]


@pytest.fixture
def place(running):
    return lambda path: find_place(running[1], path)


@pytest.fixture
def cases_db(running):
    return running[2]


class Made:
    """Cases and meetings in the state a bad call needs, each made once, through the RPCs."""

    def __init__(self, cases, place):
        self.cases, self.place, self.made = cases, place, {}

    def __call__(self, name: str) -> str:
        if name not in self.made:
            self.made[name] = getattr(self, name.replace(":", "_"))()
        return self.made[name]

    def case_reported(self) -> str:
        return self.cases.report(**drain_report(self.place(UNIT[1:])))["case_id"]

    def case_escalated(self) -> str:
        return self.cases.escalate(case_id=self.case_reported(), note="需要专业疏通车")["case_id"]

    def case_triaged(self) -> str:
        return self.cases.triage(case_id=self.case_escalated())["case_id"]

    def case_dispatched(self) -> str:
        return self.cases.dispatch(case_id=self.case_triaged(),
                                   assignee={"kind": "community", "name": "嘉园社区"})["case_id"]

    def case_extension_requested(self) -> str:
        return self.cases.request_extension(case_id=self.case_dispatched(), working_days=3,
                                            reason="需要协调燃气公司")["case_id"]

    def case_in_progress(self) -> str:
        case_id = self.cases.accept(case_id=self.case_dispatched())["case_id"]
        return self.cases.progress(case_id=case_id, note="已上门查看", site_visit=True)["case_id"]

    def case_resolved(self) -> str:
        return self.cases.resolve(case_id=self.case_in_progress(), result="康师傅疏通了下水道")["case_id"]

    def case_self_resolved(self) -> str:
        case_id = self.cases.report(**drain_report(self.place(UNIT[1:])))["case_id"]
        return self.cases.self_resolve(case_id=case_id, result="康师傅疏通了下水道")["case_id"]

    def case_in_meeting(self) -> str:
        """A case in progress of its own, linked to a meeting not yet recorded."""
        case_id = self.cases.report(**drain_report(self.place(UNIT[1:])))["case_id"]
        self.cases.escalate(case_id=case_id)
        self.cases.triage(case_id=case_id)
        self.cases.dispatch(case_id=case_id, assignee={"kind": "community", "name": "嘉园社区"})
        self.cases.accept(case_id=case_id)
        meeting = {**GATE_MEETING, "agenda": [{"title": "木门换成铁门", "case_ids": [case_id]}]}
        self.cases.schedule_meeting(**resolve(meeting, self))
        return case_id

    def case_closed(self) -> str:
        case_id = self.cases.self_resolve(case_id=self.case_reported(), result="康师傅疏通了下水道")["case_id"]
        return self.cases.evaluate(case_id=case_id, satisfied=True, comment="很满意")["case_id"]

    def meeting_scheduled(self) -> str:
        return self.cases.schedule_meeting(**resolve(GATE_MEETING, self))["meeting_id"]

    def meeting_invited(self) -> str:
        return self.cases.schedule_meeting(**resolve(INVITED, self))["meeting_id"]

    def meeting_held(self) -> str:
        held = {**HELD, "meeting_id": self.meeting_scheduled(), "cost_split": SPLIT}
        return self.cases.record_meeting(**held)["meeting_id"]


def resolve(value, made: Made):
    if isinstance(value, str) and value.startswith("@"):
        name = value[1:]
        return made(name) if name.startswith(("case:", "meeting:")) else made.place(name)
    if isinstance(value, list):
        return [resolve(v, made) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, made) for k, v in value.items()}
    return value


def test_the_table_covers_every_cases_rpc():
    assert sorted({rpc for rpc, *_ in CASES}) == sorted(RPCS) == sorted(rpc_names(CasesService))


@pytest.mark.parametrize(("rpc", "arguments", "error", "field"), CASES,
                         ids=[f"{c[0]}-{c[2].__name__}-{c[3]}" for c in CASES])
def test_bad_input_gets_a_structured_error_naming_the_field_and_changes_nothing(cases, place, cases_db, running,
                                                                                rpc, arguments, error, field):
    request = resolve(arguments, Made(cases, place))
    before = settled_digest(cases_db, running[3])

    with pytest.raises(LinliError) as raised:
        getattr(cases, rpc)(**request)

    assert isinstance(raised.value, error), raised.value.to_dict()
    assert field in [d["field"] for d in raised.value.details], raised.value.to_dict()
    assert settled_digest(cases_db, running[3]) == before, f"{rpc} changed the cases database"

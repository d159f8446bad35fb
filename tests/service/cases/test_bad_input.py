"""Every cases RPC loads its arguments with its schema before anything else: bad input gets a
`ValidationFailed` naming the field, and nothing is read, written or published."""

import pytest

from services.cases.service import CasesService
from shared.errors import ValidationFailed
from tests.conftest import rpc_names
from tests.service.cases.making import DRAINS

CASE = "case_jc2_drains"
MEETING = "mtg_jc2_gate"
HOUSEHOLDS = ["2栋1单元101", "2栋1单元201", "2栋1单元301"]
ATTENDEES = [{"name": "曾玉琴", "role": "party_branch"}, {"name": "康早新", "role": "leader"},
             {"name": "王大爷", "role": "resident", "household": "2栋1单元301"},
             {"name": "李女士", "role": "resident", "household": "2栋1单元201"},
             {"name": "张师傅", "role": "resident", "household": "2栋1单元101"}]
PARTIES = [{"name": "王大爷", "household": "2栋1单元301", "side": "respondent"},
           {"name": "李女士", "household": "2栋1单元201", "side": "claimant"}]
MEDIATION = {"case_id": CASE, "mediator": "刘红", "parties": PARTIES, "agreement": "王大爷修好防水层，赔偿李女士吊顶"}
GATE_MEETING = {"node_id": "unit_jc2", "kind": "building", "title": "2栋木门换铁门议事会",
                "scheduled_at": "2026-03-20T19:30:00+08:00", "agenda": [{"title": "木门换成铁门，费用按户分摊"}]}
HELD = {"meeting_id": MEETING, "eligible": 4, "attendees": ATTENDEES,
        "votes": [{"item": 0, "votes_for": 2, "votes_against": 1}], "minutes": "三户到会，两户同意换铁门",
        "decision": "换铁门，费用按户平摊，交费领钥匙"}
SPLIT = {"item": 0, "total_fen": 10000, "households": HOUSEHOLDS}
EXTENSION = {"case_id": CASE, "working_days": 3, "reason": "协调施工"}


def report(**changes) -> dict:
    return {**{k: v for k, v in DRAINS.items() if v is not None}, **changes}


def report_without(field: str) -> dict:
    return {k: v for k, v in report().items() if k != field}


# rpc, arguments, the field named
ROWS = [
    ("report", report_without("description"), "description"),
    ("report", report(description="堵" * 2001), "description"),
    ("report", report(channel="carrier_pigeon"), "channel"),
    ("report", report(reporter={"name": "王大爷", "phone": "12345"}), "reporter.phone"),
    ("report", report(reporter={"phone": "13900001111"}), "reporter.name"),
    ("report", report(reporter={"name": "   ", "phone": "13900001111"}), "reporter.name"),
    ("report", report(reporter={"name": "王大爷", "phone": "13900001111\n"}), "reporter.phone"),
    ("report", report(reporter={"name": "王大爷", "phone": "0731-85550101\n"}), "reporter.phone"),
    ("report", report(category="drains\n"), "category"),
    ("report", report(category="下水道"), "category"),
    ("report", report(urgency=3), "urgency"),
    ("report", report(place="moon"), "place"),
    ("report", report(channel="hotline"), "external_ref"),
    ("report", report(photos=[f"photo_{n}.jpg" for n in range(21)]), "photos"),
    ("report", report(colour="red"), "colour"),
    ("report", report(request_id=""), "request_id"),
    ("self_resolve", {"case_id": CASE}, "result"),
    ("self_resolve", {"case_id": CASE, "result": 42}, "result"),
    ("escalate", {"note": "需要专业疏通车"}, "case_id"),
    ("escalate", {"case_id": CASE, "note": "车" * 2001}, "note"),
    ("escalate", {"case_id": CASE, "urgency": "critical"}, "urgency"),
    ("triage", {"case_id": CASE, "urgency": "whenever"}, "urgency"),
    ("triage", {"case_id": CASE, "category": "Drains!"}, "category"),
    ("dispatch", {"case_id": CASE}, "assignee"),
    ("dispatch", {"case_id": CASE, "assignee": {"kind": "mayor", "name": "嘉园社区"}}, "assignee.kind"),
    ("dispatch", {"case_id": CASE, "assignee": {"kind": "community", "name": "\u3000"}}, "assignee.name"),
    ("dispatch", {"case_id": CASE, "assignee": {"kind": "community", "name": "嘉园社区"},
                  "co_handlers": [{"kind": "support_team", "name": f"服务队{n}"} for n in range(11)]}, "co_handlers"),
    ("accept", {"case_id": 7}, "case_id"),
    ("accept", {"case_id": CASE, "handler": "康早新"}, "handler"),
    ("return_case", {"case_id": CASE}, "reason"),
    ("progress", {"case_id": CASE}, "note"),
    ("progress", {"case_id": CASE, "note": "已上门", "site_visit": "sometimes"}, "site_visit"),
    ("progress", {"case_id": CASE, "note": "已上门", "photos": [f"p{n}.jpg" for n in range(21)]}, "photos"),
    ("mediate", {**MEDIATION, "parties": PARTIES[:1]}, "parties"),
    ("mediate", {**MEDIATION, "parties": [PARTIES[0], {**PARTIES[1], "side": "bystander"}]}, "parties.1.side"),
    ("mediate", {**MEDIATION, "compensation_fen": -1}, "compensation_fen"),
    ("mediate", {**MEDIATION, "mediator": " "}, "mediator"),
    ("mediate", {**MEDIATION, "parties": [PARTIES[0], {**PARTIES[1], "name": "\t"}]}, "parties.1.name"),
    ("mediate", {**MEDIATION, "compensation_fen": 1.5}, "compensation_fen"),
    ("resolve", {"case_id": CASE, "result": ""}, "result"),
    ("resolve", {"case_id": CASE, "result": "已换铁门", "meeting_note": "因" * 2001}, "meeting_note"),
    ("self_resolve", {"case_id": CASE, "result": "已疏通", "meeting_note": 42}, "meeting_note"),
    ("evaluate", {"case_id": CASE}, "satisfied"),
    ("evaluate", {"case_id": CASE, "satisfied": "maybe"}, "satisfied"),
    ("suspend", {"case_id": CASE}, "reason"),
    ("resume", {"case_id": CASE, "reason": "施工完成"}, "reason"),
    ("request_extension", {**EXTENSION, "working_days": 0}, "working_days"),
    ("request_extension", {**EXTENSION, "working_days": 31}, "working_days"),
    ("request_extension", {**EXTENSION, "working_days": "3"}, "working_days"),
    ("request_extension", {"case_id": CASE, "working_days": 3}, "reason"),
    ("decide_extension", {"case_id": CASE}, "granted"),
    ("mark_duplicate", {"case_id": CASE}, "duplicate_of"),
    ("send_back", {"case_id": CASE}, "reason"),
    ("send_back", {"case_id": CASE, "reason": ""}, "reason"),
    ("get_case", {}, "case_id"),
    ("get_case", {"case_id": 42}, "case_id"),
    ("search", {"limit": 0}, "limit"),
    ("search", {"limit": 201}, "limit"),
    ("search", {"limit": "20"}, "limit"),
    ("search", {"offset": -1}, "offset"),
    ("search", {"offset": 2**63}, "offset"),
    ("search", {"state": "reported"}, "state"),
    ("search", {"state": ["reported"] * 21}, "state"),
    ("search", {"date_from": "2026-13-01"}, "date_from"),
    ("search", {"category": "Drains!"}, "category"),
    ("search", {"colour": "red"}, "colour"),
    ("stats", {"node_id": "unit_jinchang", "date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
    ("stats", {"node_id": "unit_jinchang", "date_from": "2010-01-01", "date_to": "2026-03-01"}, "date_to"),
    ("stats", {"node_id": "unit_jinchang", "date_from": "2026-03-01", "date_to": "9999-12-31"}, "date_to"),
    ("stats", {"node_id": "unit_jinchang", "date_from": "2010-01-01"}, "date_from"),
    ("stats", {"node_id": "unit_jinchang", "date_from": "2126-01-01"}, "date_from"),
    ("stats", {"node_id": "unit_jinchang", "date_from": "2026-03-01T00:00"}, "date_from"),
    ("schedule_meeting", {**GATE_MEETING, "scheduled_at": "2026-03-20T19:30:00"}, "scheduled_at"),
    ("schedule_meeting", {**GATE_MEETING, "agenda": []}, "agenda"),
    ("schedule_meeting", {**GATE_MEETING, "kind": "banquet"}, "kind"),
    ("schedule_meeting", {**GATE_MEETING, "agenda": [{"title": "换铁门",
                                                      "case_ids": [f"case_{n}" for n in range(51)]}]},
     "agenda.0.case_ids"),
    ("schedule_meeting", {**GATE_MEETING, "scheduled_at": "0001-01-01T00:00+14:00"}, "scheduled_at"),
    ("schedule_meeting", {**GATE_MEETING, "scheduled_at": "9999-12-31T23:00-05:00"}, "scheduled_at"),
    ("schedule_meeting", {**GATE_MEETING, "invitees": [{"name": "王大爷", "role": "household"}]},
     "invitees.0.household"),
    ("schedule_meeting", {**GATE_MEETING, "invitees": [{"name": "王大爷", "role": "mayor"}]}, "invitees.0.role"),
    ("schedule_meeting", {**GATE_MEETING, "invitees": [{"name": "王大爷", "role": "household", "household": h}
                                                       for h in [HOUSEHOLDS[0], HOUSEHOLDS[0]]]}, "invitees"),
    ("schedule_meeting", {**GATE_MEETING, "invitees": "2栋全体住户"}, "invitees"),
    ("record_meeting", {**HELD, "eligible": 2}, "attendees"),
    ("record_meeting", {**HELD, "held_at": "0001-01-01T00:00+14:00"}, "held_at"),
    ("record_meeting", {**HELD, "held_at": "2026-03-20 19:30"}, "held_at"),
    ("record_meeting", {**HELD, "attendees": [{"name": "王大爷", "role": "resident", "household": "2" * 101}]},
     "attendees.0.household"),
    ("record_meeting", {**HELD, "eligible": 0}, "eligible"),
    ("record_meeting", {**HELD, "votes": [{"item": 0, "votes_for": 0}] * 5001}, "votes"),
    ("record_meeting", {**HELD, "attendees": [{**ATTENDEES[0], "name": "  "}, *ATTENDEES[1:]]}, "attendees.0.name"),
    ("record_meeting", {**HELD, "votes": [{"item": 0, "votes_for": 6}]}, "votes"),
    ("record_meeting", {**HELD, "votes": [{"item": 2**63, "votes_for": 4}]}, "votes.0.item"),
    ("record_meeting", {**HELD, "votes": [{"item": 0, "votes_for": 4, "abstain": 2**63}]}, "votes.0.abstain"),
    ("record_meeting", {**HELD, "attendees": [{"name": "赵书记", "role": "mayor"}]}, "attendees.0.role"),
    ("record_meeting", {**HELD, "cost_split": {**SPLIT, "households": [*HOUSEHOLDS, HOUSEHOLDS[0]]}},
     "cost_split.households"),
    ("record_meeting", {**HELD, "cost_split": {**SPLIT, "total_fen": 0}}, "cost_split.total_fen"),
    ("record_payment", {"meeting_id": MEETING, "household": HOUSEHOLDS[0], "keys_handed_over": "yes please"},
     "keys_handed_over"),
    ("get_meeting", {}, "meeting_id"),
    ("journal_state", {"verbose": True}, "verbose"),
    ("labels", {"language": "en"}, "language"),
    ("input_schemas", {"names": ["Report"]}, "names"),
]


def test_the_table_covers_every_cases_rpc():
    assert {rpc for rpc, *_ in ROWS} == rpc_names(CasesService)


@pytest.mark.parametrize(("rpc", "arguments", "field"), ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_bad_input_is_refused_naming_the_field_before_anything_is_read_or_written(service_as, rpc, arguments,
                                                                                   field):
    service = service_as()
    service.store = service._roster = None  # no store and no rosters: any read or write would fail otherwise

    with pytest.raises(ValidationFailed) as raised:
        getattr(service, rpc)(**arguments)

    assert field in raised.value.fields, raised.value.to_dict()

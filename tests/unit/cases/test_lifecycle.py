"""The case state machine: which command runs in which state, and what each one changes."""

from datetime import UTC, datetime, timedelta

import pytest

from services.cases import lifecycle
from services.cases.calendar import DEFAULT_DEADLINES, DeadlinePolicy, WorkCalendar
from services.cases.policy import CasePolicy
from services.cases.routing import reference
from services.cases.taxonomy import Taxonomy
from shared.errors import InvalidTransition, ValidationFailed

CALENDAR_2026 = WorkCalendar.from_config(
    ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
     "2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05"],
    ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09"])
POLICY = CasePolicy(Taxonomy.from_config(None), DeadlinePolicy(DEFAULT_DEADLINES, {}, CALENDAR_2026),
                    timedelta(hours=24), reference)

ESCALATED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
RESPONSE_DUE = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tuesday 18:00 in Shanghai
RESOLUTION_DUE = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # the next Monday 18:00 in Shanghai
NOW = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)  # Wednesday 10:30 in Shanghai

#: Every state each public command may start from, as the case loop is drawn in lifecycle.py.
ALLOWED = {
    "self_resolve": {"reported"},
    "escalate": {"reported"},
    "triage": {"escalated", "reopened"},
    "dispatch": {"triaged"},
    "accept": {"dispatched"},
    "return_case": {"dispatched", "accepted"},
    "progress": {"accepted", "in_progress"},
    "mediate": {"accepted", "in_progress"},
    "resolve": {"accepted", "in_progress"},
    "evaluate": {"self_resolved", "resolved"},
    "suspend": {"escalated", "triaged", "dispatched", "accepted", "in_progress", "reopened"},
    "resume": {"suspended"},
    "request_extension": {"dispatched", "accepted", "in_progress"},
    "decide_extension": {"dispatched", "accepted", "in_progress"},
    "mark_duplicate": {"reported", "escalated", "triaged"},
    "send_back": {"reported", "escalated", "triaged"},
}

#: Plausible arguments for each command, as the RPC schemas hand them over.
DATA = {
    "self_resolve": {"result": "康师傅疏通了2栋的下水道"},
    "escalate": {"note": "需要专业疏通车"},
    "triage": {"category": None, "urgency": None, "note": None,
               "suggestion": {"kind": "community", "name": "嘉园社区", "reason": "金昌花园无物业，由社区负责处理"}},
    "dispatch": {"assignee": {"kind": "community", "name": "嘉园社区", "party_id": None}, "co_handlers": []},
    "accept": {"handler": {"who": "康师傅", "role": "unit_leader"}, "note": None},
    "return_case": {"reason": "不属于本单元职责"},
    "progress": {"note": "已上门查看，约好明天疏通", "site_visit": True, "photos": []},
    "mediate": {"mediator": "刘红", "agreement": "双方同意共同承担疏通费用", "compensation_fen": 0, "agreed": True,
                "parties": [{"name": "王大爷", "household": "2栋1单元301", "side": "claimant"},
                            {"name": "李女士", "household": "2栋1单元401", "side": "respondent"}]},
    "resolve": {"result": "疏通完毕，污水已清理"},
    "evaluate": {"satisfied": True, "reason": None, "comment": "很满意"},
    "suspend": {"reason": "等待管网改造施工"},
    "resume": {"note": "管网施工完成"},
    "request_extension": {"working_days": 3, "reason": "需要协调燃气公司一起施工"},
    "decide_extension": {"granted": True, "note": None},
    "mark_duplicate": {"duplicate_of": "case_jc2_first"},
    "send_back": {"reason": "属联福社区辖区，退回12345"},
}


def case_in(state: str, **extra) -> dict:
    """A drains case at 金昌花园 2栋, escalated on Monday morning and now in `state`."""
    case = {
        "_id": "case_jc2_drains", "version": 4, "state": state, "category": "drains", "category_label": "下水道堵塞",
        "urgency": "normal", "place": "shared", "unit_id": "unit_jc2_1", "community_id": "unit_jiayuan",
        "reported_at": ESCALATED_AT, "escalated_at": ESCALATED_AT,
        "deadlines": {"response": RESPONSE_DUE, "resolution": RESOLUTION_DUE},
        "overdue": [], "evaluations": [], "mediations": [], "meetings": [], "counted": ["escalated", "received"],
    }
    if state == "suspended":
        case.update(suspended_from="in_progress", suspended_at=NOW - timedelta(days=1))
    return {**case, **extra}


def prepared(state: str, command: str) -> dict:
    """A case in `state` with whatever else `command` needs there (an extension to decide on)."""
    if command == "decide_extension":
        return case_in(state, extension={"status": "requested", "working_days": 3, "reason": "协调施工",
                                         "requested_at": NOW - timedelta(hours=2)})
    return case_in(state)


ALLOWED_STEPS = [
    ("reported", "self_resolve", "self_resolved"),
    ("reported", "escalate", "escalated"),
    ("reported", "mark_duplicate", "duplicate"),
    ("reported", "send_back", "sent_back"),
    ("escalated", "triage", "triaged"),
    ("escalated", "mark_duplicate", "duplicate"),
    ("escalated", "send_back", "sent_back"),
    ("escalated", "suspend", "suspended"),
    ("reopened", "triage", "triaged"),
    ("reopened", "suspend", "suspended"),
    ("triaged", "dispatch", "dispatched"),
    ("triaged", "mark_duplicate", "duplicate"),
    ("triaged", "send_back", "sent_back"),
    ("triaged", "suspend", "suspended"),
    ("dispatched", "accept", "accepted"),
    ("dispatched", "return_case", "escalated"),
    ("dispatched", "suspend", "suspended"),
    ("dispatched", "request_extension", "dispatched"),
    ("dispatched", "decide_extension", "dispatched"),
    ("accepted", "return_case", "escalated"),
    ("accepted", "progress", "in_progress"),
    ("accepted", "mediate", "in_progress"),
    ("accepted", "resolve", "resolved"),
    ("accepted", "suspend", "suspended"),
    ("accepted", "request_extension", "accepted"),
    ("accepted", "decide_extension", "accepted"),
    ("in_progress", "progress", "in_progress"),
    ("in_progress", "mediate", "in_progress"),
    ("in_progress", "resolve", "resolved"),
    ("in_progress", "suspend", "suspended"),
    ("in_progress", "request_extension", "in_progress"),
    ("in_progress", "decide_extension", "in_progress"),
    ("self_resolved", "evaluate", "closed"),
    ("resolved", "evaluate", "closed"),
    ("suspended", "resume", "in_progress"),
]
FORBIDDEN_STEPS = [(state, command) for command in ALLOWED for state in sorted(lifecycle.STATES)
                   if state not in ALLOWED[command]]


def test_the_commands_callers_may_send_are_declared_with_the_states_drawn_in_the_case_loop():
    declared = {name: set(command.sources) for name, command in lifecycle.COMMANDS.items() if command.schema}

    assert declared == ALLOWED


def test_the_table_of_allowed_steps_names_every_allowed_pair_once():
    named = {(state, command) for state, command, _ in ALLOWED_STEPS}

    assert named == {(state, command) for command, states in ALLOWED.items() for state in states}
    assert len(named) == len(ALLOWED_STEPS)


@pytest.mark.parametrize(("state", "command", "target"), ALLOWED_STEPS, ids=[f"{s}-{c}" for s, c, _ in ALLOWED_STEPS])
def test_an_allowed_command_moves_the_case_to_its_next_state(state, command, target):
    case = prepared(state, command)

    step = lifecycle.decide(case, command, DATA[command], NOW, POLICY)

    assert (step.from_state, step.to_state, step.changes["state"]) == (state, target, target)
    assert step.events[0] == lifecycle.COMMANDS[command].event


@pytest.mark.parametrize(("state", "command"), FORBIDDEN_STEPS, ids=[f"{s}-{c}" for s, c in FORBIDDEN_STEPS])
def test_a_command_the_state_does_not_allow_is_an_invalid_transition_naming_the_current_state(state, command):
    case = prepared(state, command)

    with pytest.raises(InvalidTransition) as raised:
        lifecycle.decide(case, command, DATA[command], NOW, POLICY)

    assert raised.value.details[0]["current_state"] == state
    assert raised.value.details[0]["field"] == "state"
    assert command in raised.value.message


@pytest.mark.parametrize("state", ["closed", "duplicate", "sent_back"])
def test_a_case_in_an_end_state_accepts_no_command_at_all(state):
    allowed = [command for command in lifecycle.COMMANDS if lifecycle.allowed(state, command)]

    assert allowed == []


def test_a_satisfied_verdict_closes_the_case_and_says_so_in_an_event():
    case = case_in("resolved", resolved_at=NOW - timedelta(hours=3))

    step = lifecycle.decide(case, "evaluate", DATA["evaluate"], NOW, POLICY)

    assert step.to_state == "closed"
    assert step.changes["closed_at"] == NOW
    assert step.events == ["case_evaluated", "case_closed"]
    assert step.changes["evaluations"] == [{"satisfied": True, "reason": None, "comment": "很满意", "at": NOW}]


@pytest.mark.parametrize("reason", [None, ""])
def test_a_dissatisfied_verdict_needs_a_reason(reason):
    case = case_in("resolved")

    with pytest.raises(ValidationFailed) as raised:
        lifecycle.decide(case, "evaluate", {"satisfied": False, "reason": reason}, NOW, POLICY)

    assert raised.value.fields == {"reason": "required when the resident is not satisfied"}


def test_a_dissatisfied_verdict_with_a_reason_reopens_the_case_with_fresh_deadlines():
    case = case_in("resolved", assignee={"kind": "community", "name": "嘉园社区"}, handler={"who": "康师傅"},
                   reopen_count=1)

    step = lifecycle.decide(case, "evaluate", {"satisfied": False, "reason": "第二天又堵了"}, NOW, POLICY)

    assert step.to_state == "reopened"
    assert step.events == ["case_evaluated", "case_reopened"]
    assert step.changes["reopen_count"] == 2
    assert (step.changes["assignee"], step.changes["handler"]) == (None, None)
    assert step.changes["deadlines"] == {"response": datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
                                         "resolution": datetime(2026, 3, 11, 10, 0, tzinfo=UTC)}


def test_a_self_resolved_case_the_resident_rejects_is_no_longer_counted_as_self_resolved():
    case = case_in("self_resolved", self_resolved=True, resolved_at=NOW - timedelta(hours=1))

    step = lifecycle.decide(case, "evaluate", {"satisfied": False, "reason": "还是有臭味"}, NOW, POLICY)

    assert step.to_state == "reopened"
    assert step.changes["self_resolved"] is False


def test_escalating_sets_the_response_and_resolution_deadlines_in_working_days():
    case = case_in("reported", escalated_at=None, deadlines={})

    step = lifecycle.decide(case, "escalate", DATA["escalate"], ESCALATED_AT, POLICY)

    assert step.changes["deadlines"] == {"response": RESPONSE_DUE, "resolution": RESOLUTION_DUE}
    assert step.changes["escalated_at"] == ESCALATED_AT


def test_triage_raising_the_urgency_recomputes_the_deadlines_from_the_escalation():
    case = case_in("escalated")

    step = lifecycle.decide(case, "triage", {**DATA["triage"], "urgency": "urgent"}, NOW, POLICY)

    assert step.changes["deadlines"] == {"response": ESCALATED_AT + timedelta(hours=4),
                                         "resolution": datetime(2026, 3, 4, 10, 0, tzinfo=UTC)}


def test_triage_raising_the_urgency_of_a_reopened_case_counts_from_the_reopening_not_the_first_escalation():
    reopened_at = NOW
    case = case_in("reopened", reopened_at=reopened_at, reopen_count=1,
                   deadlines={"response": datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
                              "resolution": datetime(2026, 3, 11, 10, 0, tzinfo=UTC)})

    step = lifecycle.decide(case, "triage", {**DATA["triage"], "urgency": "urgent"}, NOW + timedelta(minutes=30),
                            POLICY)

    # Four clock hours from Wednesday 10:30, and two working days: Friday 6 March, 18:00 in Shanghai.
    assert step.changes["deadlines"] == {"response": reopened_at + timedelta(hours=4),
                                         "resolution": datetime(2026, 3, 6, 10, 0, tzinfo=UTC)}


def test_triage_keeping_category_and_urgency_leaves_the_deadlines_alone():
    case = case_in("escalated")

    step = lifecycle.decide(case, "triage", DATA["triage"], NOW, POLICY)

    assert "deadlines" not in step.changes


@pytest.mark.parametrize(("accepted_at", "on_time"), [
    (RESPONSE_DUE - timedelta(minutes=1), True),
    (RESPONSE_DUE, True),
    (RESPONSE_DUE + timedelta(minutes=1), False),
])
def test_accepting_records_whether_the_response_came_in_time(accepted_at, on_time):
    case = case_in("dispatched")

    step = lifecycle.decide(case, "accept", DATA["accept"], accepted_at, POLICY)

    assert step.changes["responded_on_time"] is on_time


@pytest.mark.parametrize("state", sorted(lifecycle.ACTIVE))
def test_resuming_returns_the_case_to_the_state_it_was_suspended_from(state):
    case = case_in(state)
    suspended = {**case, **lifecycle.decide(case, "suspend", DATA["suspend"], NOW, POLICY).changes}

    step = lifecycle.decide(suspended, "resume", DATA["resume"], NOW + timedelta(days=2), POLICY)

    assert step.to_state == state
    assert (step.changes["suspended_from"], step.changes["suspended_at"]) == (None, None)


def test_resuming_shifts_every_deadline_by_the_length_of_the_pause():
    case = case_in("in_progress")
    suspended = {**case, **lifecycle.decide(case, "suspend", DATA["suspend"], NOW, POLICY).changes}
    pause = timedelta(days=3, hours=5)

    step = lifecycle.decide(suspended, "resume", DATA["resume"], NOW + pause, POLICY)

    assert step.changes["deadlines"] == {"response": RESPONSE_DUE + pause, "resolution": RESOLUTION_DUE + pause}
    assert step.detail["paused_seconds"] == int(pause.total_seconds())


def test_an_extension_asked_before_the_resolution_deadline_awaits_a_decision():
    case = case_in("in_progress")

    step = lifecycle.decide(case, "request_extension", DATA["request_extension"], RESOLUTION_DUE, POLICY)

    assert step.to_state == "in_progress"
    assert step.changes["extension"] == {"status": "requested", "working_days": 3,
                                         "reason": "需要协调燃气公司一起施工", "requested_at": RESOLUTION_DUE}


def test_an_extension_asked_after_the_resolution_deadline_is_refused():
    case = case_in("in_progress")

    with pytest.raises(InvalidTransition) as raised:
        lifecycle.decide(case, "request_extension", DATA["request_extension"],
                         RESOLUTION_DUE + timedelta(seconds=1), POLICY)

    assert raised.value.details[0]["field"] == "deadlines.resolution"
    assert raised.value.details[0]["current_state"] == "in_progress"


def test_a_second_extension_request_while_one_awaits_a_decision_is_refused():
    case = prepared("accepted", "decide_extension")

    with pytest.raises(InvalidTransition) as raised:
        lifecycle.decide(case, "request_extension", DATA["request_extension"], NOW, POLICY)

    assert raised.value.details[0]["field"] == "extension"


def test_granting_an_extension_moves_the_resolution_deadline_by_working_days():
    case = prepared("in_progress", "decide_extension")

    step = lifecycle.decide(case, "decide_extension", {"granted": True, "note": "同意"}, NOW, POLICY)

    # Monday 9 March + 3 working days is Thursday 12 March, 18:00 in Shanghai.
    assert step.changes["deadlines"]["resolution"] == datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
    assert step.changes["deadlines"]["response"] == RESPONSE_DUE
    assert step.changes["extension"]["status"] == "granted"


def test_granting_an_extension_skips_the_weekend_and_the_qingming_holiday():
    due = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)  # Thursday 2 April, 18:00 in Shanghai
    case = {**prepared("in_progress", "decide_extension"), "deadlines": {"resolution": due}}

    step = lifecycle.decide(case, "decide_extension", {"granted": True, "note": None}, NOW, POLICY)

    # Friday 3 April (1), weekend and Monday 6 April (清明) off, Tuesday 7 April (2), Wednesday 8 April (3).
    assert step.changes["deadlines"]["resolution"] == datetime(2026, 4, 8, 10, 0, tzinfo=UTC)


def test_denying_an_extension_leaves_the_deadline_where_it_was():
    case = prepared("in_progress", "decide_extension")

    step = lifecycle.decide(case, "decide_extension", {"granted": False, "note": "可以按期完成"}, NOW, POLICY)

    assert "deadlines" not in step.changes
    assert step.changes["extension"]["status"] == "denied"


def test_deciding_an_extension_nobody_asked_for_is_refused():
    case = case_in("in_progress")

    with pytest.raises(InvalidTransition) as raised:
        lifecycle.decide(case, "decide_extension", {"granted": True, "note": None}, NOW, POLICY)

    assert raised.value.details[0] == {"field": "extension", "reason": "not requested", "current_state": "in_progress",
                                       "reason_zh": "延期申请（extension）没有待决定的延期申请"}


def test_a_case_cannot_be_marked_a_duplicate_of_itself():
    case = case_in("escalated")

    with pytest.raises(ValidationFailed) as raised:
        lifecycle.decide(case, "mark_duplicate", {"duplicate_of": case["_id"]}, NOW, POLICY)

    assert raised.value.fields == {"duplicate_of": "a case cannot duplicate itself"}


def test_a_duplicate_points_at_the_first_report_of_the_same_problem():
    case = case_in("reported")

    step = lifecycle.decide(case, "mark_duplicate", {"duplicate_of": "case_jc2_first"}, NOW, POLICY)

    assert step.to_state == "duplicate"
    assert step.changes["duplicate_of"] == "case_jc2_first"


def test_a_case_sent_back_keeps_the_reason_and_its_event_carries_it():
    case = case_in("triaged")

    step = lifecycle.decide(case, "send_back", {"reason": "属联福社区辖区，退回12345"}, NOW, POLICY)

    assert (step.to_state, step.events) == ("sent_back", ["case_sent_back"])
    assert step.changes["sent_back_reason"] == step.detail["reason"] == "属联福社区辖区，退回12345"
    assert "sent_back" in lifecycle.TERMINAL


def test_deciding_a_step_leaves_the_case_it_was_given_as_it_was():
    case = case_in("in_progress", mediations=[{"mediator": "刘红", "agreement": "先前的协议"}])
    untouched = {**case, "mediations": [dict(m) for m in case["mediations"]]}

    lifecycle.decide(case, "mediate", DATA["mediate"], NOW, POLICY)

    assert case == untouched

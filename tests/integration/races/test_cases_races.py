"""Cases' state changes raced by many callers at once through two service processes: one
winner, one timeline entry and one event per round, however many call; meetings are
recorded once and each share paid once."""

import pytest

import services.cases.exceptions  # noqa: F401 - maps AlreadyPaid back to its class
from services.rosters.demo import find_place
from tests.integration.races.conftest import CALLERS
from tests.integration.races.racing import EventCounter, deliveries, per, race, report

ROUNDS = 6
PLACE = "嘉园社区/金昌花园/2栋/1单元"
#: The steps that bring a new case to each state, in order.
PATH = [("escalate", "escalated", {}), ("triage", "triaged", {}),
        ("dispatch", "dispatched", {"assignee": {"kind": "community", "name": "嘉园社区"}}),
        ("accept", "accepted", {}), ("resolve", "resolved", {"result": "康师傅疏通了下水道"})]


def evaluation(i: int) -> dict:
    if i % 2:
        return {"satisfied": False, "reason": f"caller {i}: 第二天又堵了"}
    return {"satisfied": True, "comment": f"caller {i}: 很满意"}


#: command: (the state it is raced from, the event it causes, what caller i asks)
STEPS = {
    "escalate": ("reported", "case_escalated", lambda i: {"note": f"caller {i}"}),
    "triage": ("escalated", "case_triaged", lambda i: {"note": f"caller {i}"}),
    "dispatch": ("triaged", "case_dispatched", lambda i: {"assignee": {"kind": "person", "name": f"网格员{i}"}}),
    "accept": ("dispatched", "case_accepted", lambda i: {"note": f"caller {i}"}),
    "resolve": ("accepted", "case_resolved", lambda i: {"result": f"caller {i}: 疏通了下水道"}),
    "evaluate": ("resolved", "case_evaluated", evaluation),
}


def new_case(ops, street: dict, state: str = "reported") -> dict:
    case = ops.cases.report(channel="visit", unit_id=find_place(street, PLACE), category="drains",
                            reporter={"name": "王大爷", "phone": "13900001111", "household": "2栋1单元301"},
                            description="2栋下水道堵塞，污水外溢")
    for command, reached, arguments in PATH:
        if case["state"] == state:
            break
        case = getattr(ops.cases, command)(case_id=case["case_id"], **arguments)
        assert case["state"] == reached
    return case


@pytest.mark.parametrize("command", list(STEPS))
def test_of_many_callers_taking_one_step_of_a_case_exactly_one_wins_with_one_event(
        command, ops, callers, street, cases_instances, race_env):
    state, event, asks = STEPS[command]
    tap = EventCounter(race_env["AMQP_URI"], "cases", [event, "case_closed", "case_reopened"])
    rounds, before = [], []

    for _ in range(ROUNDS):
        case = new_case(ops, street, state)
        before.append(case)
        rounds.append(race([getattr(c.cases, command) for c in callers],
                           [{"case_id": case["case_id"], **asks(i)} for i in range(CALLERS)]))

    events = tap.collect(ROUNDS)
    caused = per(events, lambda p: p["case_id"], event)
    verdicts = per(events, lambda p: p["case_id"], "case_closed") + per(events, lambda p: p["case_id"], "case_reopened")
    after = [ops.cases.get_case(case_id=c["case_id"]) for c in before]
    taken = [[e["action"] for e in c["timeline"]].count(command) for c in after]
    report(f"cases {command}", rounds, CALLERS, [caused[c["case_id"]] for c in before],
           f"timeline_entries={taken} deliveries={deliveries(events, event)}")
    assert [r.winners for r in rounds] == [1] * ROUNDS
    assert [set(r.lost_by) for r in rounds] == [{"InvalidTransition"}] * ROUNDS, [r.errors[:1] for r in rounds]
    assert all(e.details[0]["current_state"] == r.answers[0]["state"] for r in rounds for e in r.errors)
    assert [caused[c["case_id"]] for c in before] == [1] * ROUNDS
    assert [verdicts[c["case_id"]] for c in before] == [1 if command == "evaluate" else 0] * ROUNDS
    assert taken == [1] * ROUNDS
    assert [c["version"] for c in after] == [c["version"] + 1 for c in before]
    assert [c["timeline"][-1] for c in after] == [r.answers[0]["timeline"][-1] for r in rounds]


def scheduled_meeting(ops, street: dict, case_ids: tuple[str, ...] = ()) -> dict:
    return ops.cases.schedule_meeting(node_id=find_place(street, "嘉园社区/金昌花园/2栋"), kind="building",
                                      title="2栋加装电梯议事会", scheduled_at="2026-03-05T19:30:00+08:00",
                                      agenda=[{"title": "加装电梯及费用分摊", "case_ids": list(case_ids)}])


def meeting_record(minutes: str, households: list[str] | None = None) -> dict:
    record = {"eligible": 12, "attendees": [{"name": f"业主{n}", "role": "resident", "household": f"2栋{n}01"}
                                            for n in range(1, 10)],
              "votes": [{"item": 0, "votes_for": 8, "votes_against": 1}], "minutes": minutes,
              "decision": "同意加装电梯，费用按户分摊"}
    if households:
        record["cost_split"] = {"item": 0, "total_fen": 30_000_000, "households": households}
    return record


def test_of_many_callers_recording_one_meeting_exactly_one_record_is_kept(ops, callers, street, cases_instances):
    rounds, meetings = [], []

    for _ in range(ROUNDS):
        meeting = scheduled_meeting(ops, street)
        meetings.append(meeting)
        rounds.append(race([c.cases.record_meeting for c in callers],
                           [{"meeting_id": meeting["meeting_id"], **meeting_record(f"caller {i} 的会议记录")}
                            for i in range(CALLERS)]))

    stored = [ops.cases.get_meeting(meeting_id=m["meeting_id"]) for m in meetings]
    report("cases record_meeting", rounds, CALLERS, [0] * ROUNDS, f"states={[m['state'] for m in stored]}")
    assert [r.winners for r in rounds] == [1] * ROUNDS
    assert [set(r.lost_by) for r in rounds] == [{"InvalidTransition"}] * ROUNDS
    assert all(e.details[0]["current_state"] == "held" for r in rounds for e in r.errors)
    assert [(m["minutes"], m["held_at"]) for m in stored] == [(r.answers[0]["minutes"], r.answers[0]["held_at"])
                                                               for r in rounds]


def test_of_many_callers_paying_one_households_share_it_is_paid_once(ops, callers, street, cases_instances):
    households = ["2栋101", "2栋201", "2栋301"]
    rounds, meetings = [], []

    for _ in range(ROUNDS):
        meeting = scheduled_meeting(ops, street)
        ops.cases.record_meeting(meeting_id=meeting["meeting_id"], **meeting_record("会议记录", households))
        meetings.append(meeting)
        rounds.append(race([c.cases.record_payment for c in callers],
                           [{"meeting_id": meeting["meeting_id"], "household": "2栋201", "keys_handed_over": i % 2 == 0}
                            for i in range(CALLERS)]))

    shares = [ops.cases.get_meeting(meeting_id=m["meeting_id"])["cost_split"]["shares"] for m in meetings]
    report("cases record_payment", rounds, CALLERS, [0] * ROUNDS,
           f"paid_shares={[sum(s['paid'] for s in round_shares) for round_shares in shares]}")
    assert [r.winners for r in rounds] == [1] * ROUNDS
    assert [set(r.lost_by) for r in rounds] == [{"AlreadyPaid"}] * ROUNDS
    assert all(e.details[0]["field"] == "household" for r in rounds for e in r.errors)
    assert [[s["paid"] for s in round_shares] for round_shares in shares] == [[False, True, False]] * ROUNDS
    assert [round_shares[1] for round_shares in shares] == [r.answers[0]["cost_split"]["shares"][1] for r in rounds]


def test_many_meetings_scheduled_at_once_on_one_case_are_each_linked_once(
        ops, callers, street, cases_instances, race_env):
    tap = EventCounter(race_env["AMQP_URI"], "cases", ["case_meeting_linked"])
    rounds, cases = [], []

    for _ in range(ROUNDS - 2):
        case = new_case(ops, street)
        cases.append(case)
        rounds.append(race([c.cases.schedule_meeting for c in callers],
                           [{"node_id": find_place(street, "嘉园社区/金昌花园/2栋"), "title": f"议事会{i}",
                             "scheduled_at": "2026-12-05T19:30:00+08:00",
                             "agenda": [{"title": "下水道改造", "case_ids": [case["case_id"]]}]}
                            for i in range(len(callers))]))

    events = tap.collect(len(callers) * len(rounds))
    linked = per(events, lambda p: p["case_id"], "case_meeting_linked")
    after = [ops.cases.get_case(case_id=c["case_id"]) for c in cases]
    links = [sorted(e["detail"]["meeting_id"] for e in c["timeline"] if e["action"] == "link_meeting") for c in after]
    report("cases schedule_meeting (each caller its own meeting, one case)", rounds, len(callers),
           [linked[c["case_id"]] for c in cases], f"links={[len(m) for m in links]}")
    assert [r.winners for r in rounds] == [len(callers)] * len(rounds)
    assert links == [sorted(m["meeting_id"] for m in r.answers) for r in rounds]
    assert [linked[c["case_id"]] for c in cases] == [len(callers)] * len(rounds)

"""A meeting's record and payments reach each linked case's timeline exactly once, through the
real cases and rosters services on the real broker and database."""

from tests.events import EventTap
from tests.integration.cases.conftest import drain_report

HOUSEHOLDS = ["2栋1单元101", "2栋1单元201", "2栋1单元301"]
INVITEES = [{"name": "曾玉琴", "role": "official"}] + [{"name": f"{h}业主", "role": "household", "household": h}
                                                    for h in HOUSEHOLDS]
ATTENDEES = [{"name": "曾玉琴", "role": "party_branch"}, {"name": "康早新", "role": "leader"}] + \
    [{"name": f"{h}业主", "role": "resident", "household": h} for h in HOUSEHOLDS]
HELD = {"attendees": ATTENDEES, "votes": [{"item": 0, "votes_for": 2, "votes_against": 1}],
        "minutes": "三户到会，两户同意换铁门", "decision": "换铁门，费用按户平摊，交费领钥匙",
        "cost_split": {"item": 0, "total_fen": 10000, "households": HOUSEHOLDS}}


def meeting_on(cases, place, *case_ids: str) -> dict:
    return cases.schedule_meeting(node_id=place("金昌花园/2栋"), kind="building", title="2栋木门换铁门议事会",
                                  scheduled_at="2026-03-20T19:30:00+08:00", invitees=INVITEES,
                                  agenda=[{"title": "木门换成铁门，费用按户分摊", "case_ids": list(case_ids)}])


def actions(cases, case_id: str, action: str) -> list[dict]:
    return [e for e in cases.get_case(case_id=case_id)["timeline"] if e["action"] == action]


def test_a_recorded_meeting_reaches_both_linked_cases_once_however_often_it_is_recorded(stack, cases, place):
    tap = EventTap(stack.amqp_uri, "cases", ["case_meeting_recorded", "case_meeting_payment_recorded"])
    gate, door = (cases.report(**drain_report(place("金昌花园/2栋/1单元")))["case_id"] for _ in range(2))
    meeting = meeting_on(cases, place, gate, door)

    first = cases.record_meeting(meeting_id=meeting["meeting_id"], request_id="r-rec-1", **HELD)
    again = cases.record_meeting(meeting_id=meeting["meeting_id"], request_id="r-rec-1", **HELD)
    cases.record_payment(meeting_id=meeting["meeting_id"], household=HOUSEHOLDS[0], request_id="r-pay-1")
    paid = cases.record_payment(meeting_id=meeting["meeting_id"], household=HOUSEHOLDS[0], request_id="r-pay-1")

    assert again == first and (first["quorum"], first["households_attending"], first["eligible"]) == (True, 3, 3)
    assert first["posted_to"] == [gate, door] and first["posting_pending"] == []
    assert paid["payments"] == {"households": 3, "paid": 1, "unpaid": 2, "total_fen": 10000, "paid_fen": 3334,
                                "outstanding_fen": 6666, "keys_handed_over": 1}
    for case_id in (gate, door):
        [outcome] = actions(cases, case_id, "post_meeting_outcome")
        [payment] = actions(cases, case_id, "post_meeting_payment")
        assert outcome["detail"]["decision"] == "换铁门，费用按户平摊，交费领钥匙"
        assert outcome["detail"]["items"][0]["adopted"] is True
        assert (payment["detail"]["household"], payment["detail"]["share_fen"]) == (HOUSEHOLDS[0], 3334)
    events = tap.wait_for(5, timeout=3)  # four, and no fifth
    assert sorted((e["type"], e["payload"]["case_id"]) for e in events) == sorted(
        [("case_meeting_recorded", gate), ("case_meeting_recorded", door),
         ("case_meeting_payment_recorded", gate), ("case_meeting_payment_recorded", door)])


def test_a_case_with_an_unrecorded_meeting_is_resolved_only_with_a_note(cases, place):
    case_id = cases.report(**drain_report(place("金昌花园/2栋/1单元")))["case_id"]
    meeting = meeting_on(cases, place, case_id)

    resolved = cases.self_resolve(case_id=case_id, result="住户自行换了门锁",
                                  meeting_note="会议未召开，因住户已协商一致")

    assert resolved["timeline"][-1]["detail"]["meetings_not_recorded"] == [meeting["meeting_id"]]
    assert resolved["meeting_note"] == "会议未召开，因住户已协商一致"

"""议事会 rules: a quorum of two thirds, a majority of more than half, and costs split in whole fen."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.cases.meetings import (
    decide_item,
    has_quorum,
    households_attending,
    linked_cases,
    outcome_for_cases,
    passes,
    payment_summary,
    record_of,
    split_cost,
)
from shared.errors import ValidationFailed

HOUSEHOLDS = ["2栋1单元101", "2栋1单元201", "2栋1单元301"]


@pytest.mark.parametrize(("attending", "eligible", "quorum"), [
    (2, 3, True),
    (1, 3, False),
    (66, 100, False),
    (67, 100, True),
    (12, 18, True),
    (11, 18, False),
    (18, 18, True),
    (0, 0, False),
])
def test_a_meeting_has_a_quorum_when_at_least_two_thirds_attend(attending, eligible, quorum):
    assert has_quorum(attending, eligible) is quorum


@pytest.mark.parametrize(("votes_for", "attending", "adopted"), [
    (1, 2, False),
    (2, 3, True),
    (50, 100, False),
    (51, 100, True),
    (6, 12, False),
    (7, 12, True),
    (0, 0, False),
])
def test_an_item_passes_with_more_than_half_of_those_attending(votes_for, attending, adopted):
    assert passes(votes_for, attending) is adopted


def test_an_item_with_a_majority_but_no_quorum_is_not_adopted():
    item = {"title": "2栋木门换成铁门", "votes_for": 5}

    outcome = decide_item(item, attending=5, eligible=18)

    assert outcome == {**item, "quorum": False, "adopted": False}


def test_an_item_with_a_quorum_and_a_majority_is_adopted():
    item = {"title": "2栋木门换成铁门", "votes_for": 10}

    outcome = decide_item(item, attending=12, eligible=18)

    assert (outcome["quorum"], outcome["adopted"]) == (True, True)


def test_ten_thousand_fen_over_three_households_gives_the_odd_fen_to_the_first():
    shares = split_cost(10000, HOUSEHOLDS)

    assert [s["share_fen"] for s in shares] == [3334, 3333, 3333]
    assert [s["household"] for s in shares] == HOUSEHOLDS
    assert not any(s["paid"] for s in shares)


def test_a_cost_with_nobody_to_share_it_is_refused():
    with pytest.raises(ValueError, match="no households"):
        split_cost(10000, [])


@settings(max_examples=200, deadline=None)
@given(total=st.integers(1, 10**10), count=st.integers(1, 300))
def test_the_shares_always_add_up_to_the_total_and_differ_by_at_most_one_fen(total, count):
    households = [f"2栋{n}室" for n in range(count)]

    shares = [s["share_fen"] for s in split_cost(total, households)]

    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


def test_the_payment_summary_separates_what_is_paid_from_what_is_outstanding():
    shares = split_cost(10000, HOUSEHOLDS)
    shares[0]["paid"] = True

    summary = payment_summary(shares)

    assert summary == {"households": 3, "paid": 1, "unpaid": 2, "total_fen": 10000, "paid_fen": 3334,
                       "outstanding_fen": 6666, "keys_handed_over": 0}


START = datetime(2026, 3, 20, 11, 30, tzinfo=UTC)
MEETING = {"_id": "mtg_jc2_gate", "title": "2栋木门换铁门议事会", "scheduled_at": START,
           "invitees": [{"name": "曾玉琴", "role": "official"}]
           + [{"name": f"{h}业主", "role": "household", "household": h} for h in HOUSEHOLDS],
           "agenda": [{"title": "木门换成铁门", "case_ids": ["case_a", "case_b"]},
                      {"title": "装门禁", "case_ids": ["case_a"]}]}


def held(*households: str, **changes) -> dict:
    attendees = [{"name": "曾玉琴", "role": "party_branch"}, {"name": "刘红", "role": "leader"}]
    attendees += [{"name": f"{h}业主", "role": "resident", "household": h} for h in households]
    return {"attendees": attendees, "votes": [{"item": 0, "votes_for": 2, "votes_against": 0, "abstain": 0}],
            "minutes": "会议记录", "decision": "换铁门", "eligible": None, "held_at": None, "cost_split": None,
            **changes}


def test_households_attending_count_each_household_once_and_no_officials():
    attendees = held(*HOUSEHOLDS[:2])["attendees"] + [
        {"name": "王大妈", "role": "resident", "household": HOUSEHOLDS[0]}, {"name": "路过的住户", "role": "resident"}]

    assert households_attending(attendees) == [HOUSEHOLDS[0], HOUSEHOLDS[1], "#5"]


def test_a_record_counts_the_quorum_over_the_households_invited():
    record = record_of(MEETING, held(*HOUSEHOLDS[:2]), START + timedelta(hours=2))

    assert (record["eligible"], record["households_attending"], record["quorum"]) == (3, 2, True)
    assert [item["adopted"] for item in record["agenda"]] == [True, False]
    assert record["held_at"] == START + timedelta(hours=2)


def test_one_household_of_three_with_all_the_officials_has_no_quorum():
    record = record_of(MEETING, held(HOUSEHOLDS[0], votes=[]), START + timedelta(hours=2))

    assert (record["households_attending"], record["quorum"]) == (1, False)


def test_a_record_before_the_scheduled_start_names_held_at():
    with pytest.raises(ValidationFailed) as early:
        record_of(MEETING, held(*HOUSEHOLDS), START - timedelta(seconds=1))

    assert early.value.details[0]["field"] == "held_at"


def test_the_linked_cases_are_those_of_the_agenda_each_once():
    assert linked_cases(MEETING) == ["case_a", "case_b"]


def test_what_a_case_is_told_of_the_record_carries_votes_decision_and_payments():
    meeting = {**MEETING, **record_of(MEETING, held(*HOUSEHOLDS, cost_split={"item": 0, "total_fen": 300,
                                                                             "households": HOUSEHOLDS}),
                                      START + timedelta(hours=2))}

    told = outcome_for_cases(meeting)

    assert (told["decision"], told["quorum"], told["items"][0]["votes_for"]) == ("换铁门", True, 2)
    assert told["cost_split"]["payments"]["unpaid"] == 3

"""议事会 rules: a quorum of two thirds, a majority of more than half, and costs split in whole fen."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.cases.meetings import decide_item, has_quorum, passes, payment_summary, split_cost

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

    assert summary == {"households": 3, "paid": 1, "paid_fen": 3334, "outstanding_fen": 6666}

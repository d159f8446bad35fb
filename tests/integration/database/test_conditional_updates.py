"""Conditional updates racing on one document: MongoDB evaluates the filter and applies the
update as one atomic step, so a condition admits exactly the updates it should."""

import pytest

from tests.integration.database.racer import HEAD_COUNT, round_id

pytestmark = pytest.mark.integration

ROUNDS = 20


def test_compare_and_set_successes_add_up_to_the_final_value(race, race_collection):
    race_collection.insert_one({"_id": "cas", "v": 0})

    reported = race("compare_and_set", 4, 50)

    stored = race_collection.find_one({"_id": "cas"})["v"]
    wins, tries = sum(r["wins"] for r in reported), sum(r["tries"] for r in reported)
    assert stored == wins == 4 * 50, f"expected {4 * 50}, stored {stored}, successes reported {wins} in {tries} tries"


def test_a_head_count_admits_exactly_three_per_round(race, race_collection):
    race_collection.insert_many([{"_id": round_id(k), "n": 0, "who": []} for k in range(ROUNDS)])

    reported = race("head_count", 16, ROUNDS)

    rows = []
    for k in range(ROUNDS):
        doc = race_collection.find_one({"_id": round_id(k)})
        winners = sorted(me for me, matched in enumerate(reported) if matched[k])
        rows.append((len(winners), doc["n"], len(doc["who"]), sorted(doc["who"]) == winners))
    wrong = [row for row in rows if row != (HEAD_COUNT, HEAD_COUNT, HEAD_COUNT, True)]
    assert not wrong, (f"{len(wrong)} of {ROUNDS} rounds wrong; per round (winners, n, len(who), who == winners): "
                       f"{rows}")


def test_find_and_modify_hands_out_each_number_once(race, race_collection):
    race_collection.insert_one({"_id": "seq", "n": 0})

    reported = race("sequence", 6, 100)

    values = [value for numbers in reported for value in numbers]
    stored = race_collection.find_one({"_id": "seq"})["n"]
    assert (sorted(values), stored) == (list(range(1, 601)), 600), (
        f"expected 600 distinct numbers 1..600, returned {len(set(values))} distinct of {len(values)}, "
        f"stored {stored}")


def test_a_task_is_taken_by_exactly_one_claimant_who_is_stored(race, race_collection):
    race_collection.insert_many([{"_id": round_id(k), "state": "open"} for k in range(ROUNDS)])

    reported = race("take", 16, ROUNDS)

    rows = []
    for k in range(ROUNDS):
        doc = race_collection.find_one({"_id": round_id(k)})
        winners = [me for me, taken in enumerate(reported) if taken[k] is not None]
        rows.append((winners, [reported[me][k] for me in winners], doc.get("by")))
    wrong = [row for row in rows if not (len(row[0]) == 1 and row[1] == row[0] and row[2] == row[0][0])]
    assert not wrong, (f"{len(wrong)} of {ROUNDS} rounds wrong; per round (winners, by returned to them, stored by): "
                       f"{rows}")


def test_a_delete_and_a_conditional_update_never_both_take_effect(race, race_collection):
    race_collection.insert_many([{"_id": round_id(k), "v": 0} for k in range(ROUNDS)])

    reported = race("delete_or_update", 8, ROUNDS)

    rows = []
    for k in range(ROUNDS):
        doc = race_collection.find_one({"_id": round_id(k)})
        deleted = sum(reported[me][k] for me in range(0, 8, 2))
        updated = sum(reported[me][k] for me in range(1, 8, 2))
        rows.append((deleted, updated, None if doc is None else doc["v"]))
    wrong = [row for row in rows if row not in ((1, 0, None), (0, 1, 1))]
    assert not wrong, f"{len(wrong)} of {ROUNDS} rounds wrong; per round (deleted, updated, stored v): {rows}"

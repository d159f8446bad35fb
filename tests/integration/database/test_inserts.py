"""Inserts and upserts racing on one `_id`: the unique `_id` admits one document, and MongoDB
turns the losing upserts (retried once on a duplicate key) into updates of it."""

import pytest

from tests.integration.database.racer import round_id

pytestmark = pytest.mark.integration

PROCESSES = 8
ROUNDS = 20


def test_racing_upserts_create_one_document_that_counts_every_process(race, race_collection):
    reported = race("upsert", PROCESSES, ROUNDS)

    rows = []
    for k in range(ROUNDS):
        doc = race_collection.find_one({"_id": round_id(k)})
        creators = sum(created[k] for created in reported)
        rows.append((creators, race_collection.count_documents({"_id": round_id(k)}), doc and doc["n"]))
    wrong = [row for row in rows if row != (1, 1, PROCESSES)]
    assert not wrong, (f"{len(wrong)} of {ROUNDS} rounds wrong, expected (1, 1, {PROCESSES}); "
                       f"per round (creators, documents, stored n): {rows}")


def test_racing_inserts_of_one_id_let_exactly_one_through(race, race_collection):
    reported = race("insert", PROCESSES, ROUNDS)

    rows = []
    for k in range(ROUNDS):
        inserted = [me for me, outcomes in enumerate(reported) if outcomes[k] == "inserted"]
        duplicates = sum(outcomes[k] == "duplicate" for outcomes in reported)
        doc = race_collection.find_one({"_id": round_id(k)})
        rows.append((inserted, duplicates, race_collection.count_documents({"_id": round_id(k)}), doc and doc["by"]))
    wrong = [row for row in rows if not (len(row[0]) == 1 and row[1:] == (PROCESSES - 1, 1, row[0][0]))]
    assert not wrong, (f"{len(wrong)} of {ROUNDS} rounds wrong; "
                       f"per round (inserted by, duplicate key errors, documents, stored by): {rows}")

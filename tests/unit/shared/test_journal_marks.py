"""Counter marks: a window's mark stays on a counter document until every step it covers is
released, because recovery finds already-counted steps by their marks."""

from shared.journal import Journal


class FakeCollection:
    def __init__(self):
        self.updates: list[tuple[dict, dict]] = []
        self.docs: dict[str, dict] = {}

    def update_one(self, query: dict, update: dict, upsert: bool = False) -> None:
        self.updates.append((query, update))

    def find_one(self, query: dict, projection: dict | None = None) -> dict | None:
        return self.docs.get(query["_id"])


class FakeDatabase(dict):
    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection()
        return self[name]


def journal() -> Journal:
    return Journal(FakeDatabase(), publish=lambda event: None)


def unset_by_next_write(j: Journal, mark: str) -> set[str]:
    j.count("c1", {"c.drains.received": 1}, mark, [f"case:{mark}"])
    return set(j.counters.updates[-1][1].get("$unset", {}))


def test_a_window_of_listed_steps_loses_its_mark_with_the_next_write():
    j = journal()
    j.count("c1", {"c.drains.received": 1}, "w1", ["case_a:2"])

    j.drop_marks([("c1", "w1")])

    assert unset_by_next_write(j, "w2") == {"marks.w1"}


def test_a_mark_covering_fresh_openings_stays_while_an_older_opening_holds_the_release_mark_back():
    j = journal()
    j.released = 4  # opening 5 still held; the window finished openings 6 and 7
    j.drop_marks([("c1", "w1")], fresh_upto=7)

    assert unset_by_next_write(j, "w2") == set()

    j.released = 7
    j.drop_marks([("c1", "w2")], fresh_upto=7)

    assert unset_by_next_write(j, "w3") == {"marks.w1", "marks.w2"}


def test_recovery_finds_a_step_in_a_window_mark_and_in_a_mark_of_a_single_step():
    j = journal()
    j.counters.docs["c1"] = {"_id": "c1", "marks": {"journal_x:3": ["case_a:1", "case_b:2"], "case_c:4": True}}

    assert [j.marked("c1", key) for key in ("case_b:2", "case_c:4", "case_d:1")] == [True, True, False]
    assert j.marked("c_missing", "case_a:1") is False

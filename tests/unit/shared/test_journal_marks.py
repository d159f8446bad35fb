"""Counter marks: a window's mark stays on a counter document until every step it covers is
released, because recovery finds already-counted steps by their marks."""

from shared.journal.counters import Counters


class RecordingCollection:
    def __init__(self):
        self.updates: list[tuple[dict, dict]] = []
        self.docs: dict[str, dict] = {}

    def update_one(self, query: dict, update: dict, upsert: bool = False) -> None:
        self.updates.append((query, update))

    def find_one(self, query: dict, projection: dict | None = None) -> dict | None:
        return self.docs.get(query["_id"])


def counters() -> Counters:
    return Counters(RecordingCollection())


def unset_by_next_write(c: Counters, mark: str) -> set[str]:
    c.add("c1", {"c.drains.received": 1}, mark, [f"case:{mark}"])
    return set(c.coll.updates[-1][1].get("$unset", {}))


def test_a_window_of_listed_steps_loses_its_mark_with_the_next_write():
    c = counters()
    c.add("c1", {"c.drains.received": 1}, "w1", ["cases:case_a:2"])

    c.drop([("c1", "w1")], released=0)

    assert unset_by_next_write(c, "w2") == {"marks.w1"}


def test_a_mark_covering_fresh_openings_stays_while_an_older_opening_holds_the_release_mark_back():
    c = counters()
    c.drop([("c1", "w1")], released=4, fresh_upto=7)  # opening 5 still held; the window finished 6 and 7

    assert unset_by_next_write(c, "w2") == set()

    c.drop([("c1", "w2")], released=7, fresh_upto=7)

    assert unset_by_next_write(c, "w3") == {"marks.w1", "marks.w2"}


def test_recovery_finds_a_step_in_a_window_mark_and_in_a_mark_of_a_single_step():
    c = counters()
    c.coll.docs["c1"] = {"_id": "c1", "marks": {"journal_x:3": ["cases:case_a:1", "cases:case_b:2"],
                                               "cases:case_c:4": True}}

    assert [c.marked("c1", key) for key in ("cases:case_b:2", "cases:case_c:4", "cases:case_d:1")] == [
        True, True, False]
    assert c.marked("c_missing", "cases:case_a:1") is False


def test_a_step_finished_again_adds_its_counts_only_where_no_mark_shows_them():
    c = counters()
    c.coll.docs["street:2026-12"] = {"_id": "street:2026-12", "marks": {"journal_x:3": ["cases:case_a:2"]}}
    counts = {"street:2026-12": {"c.drains.received": 1}, "grid:2026-12": {"c.drains.received": 1}}

    marks = c.add_once("cases:case_a:2", counts)

    assert [query["_id"] for query, _ in c.coll.updates] == ["grid:2026-12"]
    assert marks == [("grid:2026-12", "sweep:cases:case_a:2")]

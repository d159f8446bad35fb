"""Counter documents whose increments are added exactly once: every write to a counter
document marks it with the keys of the steps it added, so a sweep finishing a step again
adds its counts only where that mark is missing."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pymongo.collection import Collection

from shared.writes import upsert_retrying

Expand = Callable[[Any], Mapping[str, Mapping[str, int]]]
Marks = list[tuple[str, str]]  # (counter document, mark)


def counts_as_given(counts: Any) -> Mapping[str, Mapping[str, int]]:
    """Counts already given as counter document → path → amount."""
    return counts or {}


class Counters:
    def __init__(self, collection: Collection, expand: Expand = counts_as_given):
        self.coll = collection
        self.expand = expand
        self.unmark: dict[str, set[str]] = {}  # counter doc → marks of released steps, dropped on its next write
        self.waiting: list[tuple[int, Marks]] = []  # (fresh id whose release frees them, marks)

    def add_window(self, steps: Iterable[Mapping], mark: str) -> Marks:
        """The counts of a window of steps: one `$inc` per counter document, marked `mark`
        with the keys of the steps it adds. Returns the marks set."""
        increments: dict[str, dict[str, int]] = defaultdict(dict)
        keys: dict[str, list[str]] = defaultdict(list)
        for step in steps:
            for counter_id, paths in self.expand(step["counts"]).items():
                for path, amount in paths.items():
                    increments[counter_id][path] = increments[counter_id].get(path, 0) + amount
                keys[counter_id].append(step["_id"])
        for counter_id, paths in increments.items():
            self.add(counter_id, paths, mark, keys[counter_id])
        return [(counter_id, mark) for counter_id in keys]

    def add_once(self, key: str, counts: Any) -> Marks:
        """The counts of one step finished again, only where no mark shows them added."""
        marks = []
        for counter_id, paths in self.expand(counts).items():
            if not self.marked(counter_id, key):
                self.add(counter_id, paths, f"sweep:{key}", [key])
                marks.append((counter_id, f"sweep:{key}"))
        return marks

    def add(self, counter_id: str, increments: Mapping[str, int], mark: str, keys: list[str]) -> None:
        """Add to a counter document, marking it with the keys of the steps added (one mark
        per window, so the update stays small however many steps it carries)."""
        update: dict[str, Any] = {"$inc": dict(increments), "$set": {f"marks.{mark}": list(keys)}}
        finished = self.unmark.pop(counter_id, set()) - {mark}
        if finished:
            update["$unset"] = {f"marks.{m}": "" for m in finished}
        upsert_retrying(self.coll, counter_id, update)

    def drop(self, marks: Marks, released: int, fresh_upto: int = 0) -> None:
        """Marks of steps that have been released, each dropped with the next write to its
        document. Call after the release is written; a mark that also covers fresh documents
        waits until the release mark (`released`) has passed `fresh_upto` (an older fresh
        document still held keeps it below, and a dead instance's block is finished again
        from there, so the marks must still be there to find)."""
        self.waiting.append((fresh_upto, marks))
        still = []
        for upto, covered in self.waiting:
            if upto > released:
                still.append((upto, covered))
                continue
            for counter_id, mark in covered:
                self.unmark.setdefault(counter_id, set()).add(mark)
        self.waiting = still

    def marked(self, counter_id: str, key: str) -> bool:
        doc = self.coll.find_one({"_id": counter_id}, {"marks": 1})
        marks = (doc or {}).get("marks") or {}
        return any(name == key if keys is True else key in keys for name, keys in marks.items())

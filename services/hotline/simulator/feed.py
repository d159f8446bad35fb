"""The change feed's pages: the cursor (an opaque position in the change log) and the ways a
platform misbehaves when asked to (every change listed twice with pages overlapping; items
shuffled with earlier revisions of a ticket sent again after newer ones)."""

import random
from collections.abc import Callable

OVERLAP = 3  # changes from before the cursor listed again at the top of a page (duplicates)
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class BadCursor(ValueError):
    pass


def encode(position: int) -> str:
    return f"log-{position}"


def decode(cursor: str | None, log_length: int) -> int:
    if cursor in (None, ""):
        return 0
    digits = cursor.removeprefix("log-")
    if not cursor.startswith("log-") or not digits.isdigit():
        raise BadCursor(f"unknown cursor {cursor!r}")
    if int(digits) > log_length:
        raise BadCursor(f"cursor {cursor!r} is past the end of the change log (was the simulator reset?)")
    return int(digits)


def page(log: list, position: int, limit: int, *, duplicates: bool, reorder: bool, rng: random.Random,
         earlier: Callable[[object], dict | None]) -> dict:
    """At most `limit` items (yet one new change at least, when there is one: up to 4 items
    when `limit` is smaller), the cursor after the
    new changes listed and whether more follow. `earlier(item)` is the revision before a ticket
    item's, if any."""
    factor = (1 + duplicates) * (1 + reorder)  # items a new change may take up
    overlap = min(OVERLAP, position, max(0, limit - factor)) if duplicates else 0
    fresh_count = max(1, (limit - overlap) // factor)
    fresh = log[position:position + fresh_count]
    items = list(fresh)
    if reorder:
        stale = [found for found in map(earlier, fresh) if found is not None]
        rng.shuffle(items)
        items += stale
    if duplicates:
        items = log[position - overlap:position] + [twice for item in items for twice in (item, item)]
    end = position + len(fresh)
    return {"changes": items, "cursor": encode(end), "more": end < len(log)}

"""What each rosters process does at start, in the background: finish the work a process
that died left half done (`commands.finish_interrupted_work`), let the places of people and
appointments follow the moves among it, and fill in the places of what was stored before
they were kept (`placekeeping.backfill`)."""

from services.rosters import commands, placekeeping
from services.rosters.repository import RostersStore


def start_up(store: RostersStore) -> None:
    moved = [unit["_id"] for unit in store.units.with_pending_rebase()]
    commands.finish_interrupted_work(store)
    for unit_id in moved:
        placekeeping.follow_move(store, unit_id)
    placekeeping.backfill(store)

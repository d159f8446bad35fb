"""`make reset`: empty what `make run` keeps between runs (broker and database data, logs); refused while it runs."""

import shutil
import sys

from shared.stack.places import CannotRun, Places, places_from_env, run_lock


def reset(places: Places) -> list[str]:
    """Remove the data, the logs and stack.env under `places`; the names of what was there."""
    with run_lock(places, "reset"):
        removed = []
        for folder in (places.data, places.logs):
            if folder.exists():
                shutil.rmtree(folder)
                removed.append(str(folder))
        for file in (places.stack_env, places.supervisor_config):
            if file.exists():
                file.unlink()
                removed.append(str(file))
        return removed


def main() -> int:
    places = places_from_env()
    try:
        removed = reset(places)
    except CannotRun as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"emptied {places.root}: removed {', '.join(removed)}" if removed else f"{places.root} was already empty")
    return 0


if __name__ == "__main__":
    sys.exit(main())

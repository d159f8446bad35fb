"""The simulator's state kept in one JSON file (`--state-file`), so that a restart answers the
cursors, tickets and Idempotency-Keys its clients already hold. Written whole and atomically (a
temporary file beside it, fsync, rename) at most every half second while changed, and on stop."""

import json
import os
import sys
import tempfile
import threading
from pathlib import Path

from services.hotline.simulator.platform_state import PlatformState

SAVE_INTERVAL_SECONDS = 0.5


class StateFileError(Exception):
    """The state file cannot be read or written; the message names it."""


class StateFile:
    def __init__(self, path: Path, state: PlatformState, interval: float = SAVE_INTERVAL_SECONDS):
        self.path, self.state, self.interval = path, state, interval
        self.saved_version: int | None = None
        self._stopping = threading.Event()
        self._writer = threading.Thread(target=self._write_while_running, name="state-file", daemon=True)

    def load(self) -> bool:
        """Take the state the file holds, if there is a file; whether there was."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        except OSError as error:
            raise StateFileError(f"cannot read the state file {self.path}: {error}") from error
        try:
            self.state.from_json(json.loads(text))
        except Exception as error:  # whatever is wrong in it: the file is named, nothing is started
            raise StateFileError(f"the state file {self.path} is not a simulator state "
                                 f"({type(error).__name__}: {error}); move it away to start empty") from error
        self.saved_version = self.state.version
        return True

    def start(self) -> None:
        """Save now (so a path that cannot be written fails at once), then keep saving changes."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateFileError(f"cannot make the directory of the state file {self.path}: {error}") from error
        self.save()
        self._writer.start()

    def close(self) -> None:
        """Stop the writer and save what it has not."""
        self._stopping.set()
        if self._writer.is_alive():
            self._writer.join()
        self.save()

    def save(self) -> None:
        """Write the state if it changed since the last write."""
        version = self.state.version  # read first: a change made meanwhile is written next time
        if version == self.saved_version:
            return
        text = json.dumps(self.state.to_json(), ensure_ascii=False)
        try:
            write_atomically(self.path, text)
        except OSError as error:
            raise StateFileError(f"cannot write the state file {self.path}: {error}") from error
        self.saved_version = version

    def _write_while_running(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.save()
            except StateFileError as error:  # a full disk must not stop the platform: try again later
                print(f"hotline simulator: {error}", file=sys.stderr, flush=True)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text`: readers see the old file or the new one, never a part."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)

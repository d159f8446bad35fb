"""One way to change a document and publish what it causes: see `journal` for the write
path, `recovery` for what the sweep finishes after a crash."""

from shared.journal.journal import FINISH_WINDOW, Journal
from shared.journal.records import NotApplied, VersionTaken
from shared.journal.recovery import sweep

__all__ = ["FINISH_WINDOW", "Journal", "NotApplied", "VersionTaken", "sweep"]

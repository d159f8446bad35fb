"""Identifiers: short, sortable by creation time, safe in URLs and logs."""

import hashlib
import os
import time


def new_id(prefix: str) -> str:
    """`<prefix>_<12 hex of ms time><10 hex random>`, e.g. `unit_0192f1c2a3b4c5d6e7f8a9`."""
    return f"{prefix}_{int(time.time() * 1000):012x}{os.urandom(5).hex()}"


def derived_id(prefix: str, *parts: str) -> str:
    """An id derived from `parts` (never personal data): the same parts always give the same
    id, so two callers creating one thing, or one caller repeating a request, meet on it."""
    return f"{prefix}_{hashlib.sha1('|'.join(parts).encode()).hexdigest()[:20]}"

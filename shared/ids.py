"""Identifiers: short, sortable by creation time, safe in URLs and logs."""

import os
import time


def new_id(prefix: str) -> str:
    """`<prefix>_<12 hex of ms time><10 hex random>`, e.g. `unit_0192f1c2a3b4c5d6e7f8a9`."""
    return f"{prefix}_{int(time.time() * 1000):012x}{os.urandom(5).hex()}"

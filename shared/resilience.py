"""Riding out a broker or database that went away: the error callers see meanwhile, and
waiting with backoff for something that has to work before a service can serve."""

import logging
from collections.abc import Callable
from typing import TypeVar

import eventlet
from pymongo.errors import ConnectionFailure

from shared.errors import LinliError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Errors that mean "the database cannot be reached now", not "the request was wrong".
DATABASE_GONE = (ConnectionFailure,)
#: Default longest wait between two attempts to reach the broker or the database (seconds).
RECONNECT_MAX_SECONDS = 5.0


class Unavailable(LinliError):
    """Something the service needs (its database) does not answer now; try again later."""

    code = "unavailable"


def database_unavailable(error: Exception) -> Unavailable:
    """What a caller is told while the database cannot be reached."""
    return Unavailable("the service's database is unavailable; try again later",
                       [{"field": "database", "reason": type(error).__name__}])


def backoff(first: float, most: float):
    """Waits of `first`, doubling, never more than `most` seconds."""
    wait = first
    while True:
        yield wait
        wait = min(wait * 2, most)


def retry_with_backoff(action: Callable[[], T], what: str, retry_on: tuple[type[Exception], ...] = DATABASE_GONE,
                       most: float = RECONNECT_MAX_SECONDS, first: float = 0.5,
                       given_up: Callable[[], bool] = lambda: False,
                       sleep: Callable[[float], None] = eventlet.sleep) -> T | None:
    """`action()`, tried again after each `retry_on` error until it succeeds (its result)
    or `given_up()` (None); every failure is logged with the wait before the next try."""
    for wait in backoff(first, most):
        try:
            return action()
        except retry_on as error:
            if given_up():
                return None
            log.warning("%s failed (%s: %s); trying again in %.1fs", what, type(error).__name__, error, wait)
            sleep(wait)
            if given_up():
                return None
    return None  # pragma: no cover - backoff never ends

"""Holding a claim while its handler runs: the lease renewed in the background, and the
outcome written even through a short database outage."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

import eventlet

from shared.consuming.ledger import Claim, EventLedger
from shared.resilience import DATABASE_GONE, Unavailable, backoff

log = logging.getLogger(__name__)

#: Waits before each further try to write an outcome while the database does not answer (≈ 12 s in all).
SETTLE_WAITS = list(islice(backoff(0.5, 5.0), 5))


class OutcomeNotRecorded(Unavailable):
    """The handler ran but its outcome could not be written: the database does not answer. The
    event goes back to the queue; its next delivery takes the claim over once the lease runs out."""


@contextmanager
def lease_kept(ledger: EventLedger, claim: Claim, every: float) -> Iterator[None]:
    """Renews the claim's lease every `every` seconds until the block ends."""
    renewer = eventlet.spawn(_renew_forever, ledger, claim, every)
    try:
        yield
    finally:
        renewer.kill()


def _renew_forever(ledger: EventLedger, claim: Claim, every: float) -> None:
    while True:
        eventlet.sleep(every)
        try:
            if not ledger.renew(claim):
                log.warning("%s: the claim on event %s was taken over", claim.handler, claim.event_id)
                return
        except DATABASE_GONE as error:
            log.warning("%s: could not renew the claim on event %s (%s)", claim.handler, claim.event_id, error)


def settle(write: Callable[..., bool], claim: Claim, *args: Any, sleep: Callable[[float], None] = eventlet.sleep,
           **kwargs: Any) -> None:
    """`write(claim, ...)` (the ledger's `handled` or `park`), tried again while the database
    does not answer; `OutcomeNotRecorded` when it still does not."""
    for wait in [*SETTLE_WAITS, None]:
        try:
            if not write(claim, *args, **kwargs):
                log.warning("%s: the claim on event %s was taken over while it ran; the run that took it over "
                            "records the outcome", claim.handler, claim.event_id)
            return
        except DATABASE_GONE as error:
            if wait is None:
                raise OutcomeNotRecorded(f"outcome of {claim.record_id} not recorded: {error}",
                                         [{"field": "database", "reason": type(error).__name__}]) from error
            sleep(wait)

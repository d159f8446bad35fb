"""Running a service's event handler once per event: claim the event, run the handler with
retries, record its effect or park the event; and, for ops, the parked events shown, replayed
and counted."""

import functools
import logging
import random
from collections.abc import Callable
from typing import Any

import eventlet

from shared.clock import plain
from shared.consuming.keys import event_key, event_type
from shared.consuming.leases import lease_kept, settle
from shared.consuming.ledger import HANDLED, PARKED, Claim, EventLedger, Settled
from shared.consuming.settings import ConsumerSettings
from shared.errors import NotFound, field_error
from shared.resilience import DATABASE_GONE

log = logging.getLogger(__name__)

#: Set by `consumes` on the entrypoint it makes: the name of the handler it runs.
HANDLER_MARK = "consumed_event_handler"
PARKED_FIELDS = ("handler", "event_id", "type", "event", "error", "attempts", "parked_at")


class UnknownHandler(NotFound):
    """A replay named an event handler this service does not have."""


@functools.cache
def handlers_of(service_cls: type) -> dict[str, Callable]:
    """The service's `@consumes` handlers by name, as written (without the entrypoint around them)."""
    found = {}
    for klass in reversed(service_cls.__mro__):
        for member in vars(klass).values():
            if getattr(member, HANDLER_MARK, None):
                found[getattr(member, HANDLER_MARK)] = member.__wrapped__
    return found


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class BoundConsumer:
    """The idempotent consumer as one worker sees it, bound to the worker's service instance
    (whose handlers it runs, with every dependency of that worker)."""

    def __init__(self, ledger: EventLedger, settings: ConsumerSettings, service: Any,
                 sleep: Callable[[float], None] = eventlet.sleep, draw: Callable[[], float] = random.random):
        self.ledger = ledger
        self.settings = settings
        self.service = service
        self.handlers = handlers_of(type(service))
        self.sleep = sleep
        self.draw = draw

    def handle(self, handler: str, event: Any) -> Any:
        """Run `handler` for the event unless it ran already (then its recorded effect) or was
        parked (None); while another worker runs it, wait until that one settles it or its lease
        runs out (then take it over)."""
        event_id = event_key(event)
        while True:
            taken = self.ledger.claim(handler, event_id, event_type(event))
            if isinstance(taken, Claim):
                return self._run_with_retries(taken, event)
            if isinstance(taken, Settled):
                log.info("%s: event %s was %s before; not run again", handler, event_id, taken.state)
                return taken.effect
            self.sleep(self.settings.poll_seconds)

    def parked(self, handler: str | None = None, limit: int = 100) -> list[dict]:
        """Parked events, the longest parked first: handler, event_id, type, event, error,
        attempts, parked_at (ISO 8601)."""
        records = self.ledger.parked(handler, None, limit)
        return [plain({name: record.get(name) for name in PARKED_FIELDS}) for record in records]

    def counts(self, handler: str | None = None) -> dict[str, int]:
        """How many events are handled, parked, in retry (a run failed, the next is due) and running."""
        return self.ledger.counts(handler)

    def replay(self, event_id: str | None = None, handler: str | None = None) -> list[dict]:
        """Run each matching parked event's handler once more: handled when it succeeds, parked
        again with the new error when not. One outcome per record: handled, parked,
        already_handled, running (another replay or run holds it) or unknown_handler."""
        if event_id is None and handler is None:
            raise field_error("event_id", "give an event id, a handler or both")
        if handler is not None and handler not in self.handlers:
            raise UnknownHandler(f"no event handler {handler!r} here", [{"field": "handler", "reason": "unknown"}])
        records = self.ledger.parked(handler, event_id)
        if not records and event_id is not None:
            records = self.ledger.records_of(event_id, handler)
            if not records:
                raise NotFound(f"event {event_id} was never received here", [{"field": "event_id",
                                                                               "reason": "not received"}])
        return [self._replay_one(record) for record in records]

    def _run_with_retries(self, claim: Claim, event: Any) -> Any:
        attempts = claim.attempts
        with self._lease_kept(claim):
            for wait in [*self.settings.waits(self.draw), None]:
                attempts += 1
                effect, error = self._attempt(claim.handler, event)
                if error is None:
                    self._settle(self.ledger.handled, claim, effect, attempts)
                    return effect
                if wait is None:
                    break
                self._retry_later(claim, error, attempts, wait)
            self._settle(self.ledger.park, claim, event, describe(error), attempts)
        log.error("%s: event %s parked after %d attempts: %s", claim.handler, claim.event_id, attempts,
                  describe(error), exc_info=error)
        return None

    def _replay_one(self, record: dict) -> dict:
        outcome = {"handler": record["handler"], "event_id": record["event_id"]}
        if record["state"] != PARKED:
            return {**outcome, "outcome": "already_handled" if record["state"] == HANDLED else "running"}
        if record["handler"] not in self.handlers:
            return {**outcome, "outcome": "unknown_handler"}
        claim = self.ledger.claim_parked(record)
        if claim is None:
            return {**outcome, "outcome": "running"}
        with self._lease_kept(claim):
            effect, error = self._attempt(claim.handler, record["event"])
            if error is None:
                self._settle(self.ledger.handled, claim, effect, claim.attempts + 1, replayed=True)
                return {**outcome, "outcome": "handled"}
            self._settle(self.ledger.park, claim, record["event"], describe(error), claim.attempts + 1)
        log.error("%s: replay of event %s failed: %s", claim.handler, claim.event_id, describe(error), exc_info=error)
        return {**outcome, "outcome": "parked", "error": describe(error)}

    def _attempt(self, handler: str, event: Any) -> tuple[Any, Exception | None]:
        try:
            return self.handlers[handler](self.service, event), None
        except Exception as error:  # noqa: BLE001 - any failure of a handler is retried, then parked
            return None, error

    def _retry_later(self, claim: Claim, error: Exception, attempts: int, wait: float) -> None:
        log.warning("%s: event %s failed (attempt %d: %s); trying again in %.2fs", claim.handler, claim.event_id,
                    attempts, describe(error), wait)
        try:
            self.ledger.note_failure(claim, describe(error), attempts)
        except DATABASE_GONE:
            log.warning("%s: could not note the failure of event %s", claim.handler, claim.event_id)
        self.sleep(wait)

    def _settle(self, write: Callable[..., bool], claim: Claim, *args: Any, **kwargs: Any) -> None:
        settle(write, claim, *args, sleep=self.sleep, **kwargs)

    def _lease_kept(self, claim: Claim):
        return lease_kept(self.ledger, claim, self.settings.takeover_seconds / 3)

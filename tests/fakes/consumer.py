"""Stands for `shared.consuming.IdempotentConsumer` in service-layer tests: `handle` runs the
handler as written, every time (so a test sees what the handler itself does with a repeat),
and the consumer's ledger answers as an empty one (no event parked, none to replay, nothing
counted)."""

from shared.consuming.runner import handlers_of


class PassThrough:
    def __init__(self, service):
        self.service = service

    def handle(self, handler: str, event: dict):
        return handlers_of(type(self.service))[handler](self.service, event)

    def parked(self, handler: str | None = None) -> list:
        return []

    def replay(self, event_id: str | None = None, handler: str | None = None) -> list:
        return []

    def counts(self, handler: str | None = None) -> dict:
        return {}

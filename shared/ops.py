"""The RPCs by which ops look into a service's plumbing, written once and mixed into each
service class:

    from shared import ops    # the module: `nameko run` takes every class in a service's
                              # module that has entrypoints for a service of its own
    class VolunteersService(ops.JournalOps, ops.ConsumerOps):
        ...

- `JournalOps.journal_state`: steps whose events may still be unpublished and the oldest
  one's age (a service whose `store.journal` is a `shared.journal.Journal`);
- `ConsumerOps.parked_events`, `replay_parked`, `consumer_counts`: the events a handler parked,
  replaying them, and how many each handler handled, parked and holds (a service whose
  `consumer` is an `IdempotentConsumer`);
- `PublishedInputs.input_schemas`: the JSON Schemas of the inputs other systems send, from the
  marshmallow classes the service's RPCs load them with (a service naming them in
  `published_inputs`), for a gateway documenting them over HTTP.

Each asks who calls (`actor`), as every RPC does, and takes only the arguments it names."""

from marshmallow import fields, validate

from shared import openapi
from shared.errors import EXPECTED
from shared.rpc import rpc
from shared.schemas import StrictSchema


def _handler() -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class HandlerQuery(StrictSchema):
    handler = _handler()


class ReplayQuery(StrictSchema):
    event_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    handler = _handler()


class JournalOps:
    @rpc(expected_exceptions=EXPECTED)
    def journal_state(self, **data) -> dict:
        """Steps whose events may be unpublished and the oldest one's age (for ops)."""
        self.actor()
        StrictSchema().load_or_raise(data)
        return self.store.journal.state()


class ConsumerOps:
    @rpc(expected_exceptions=EXPECTED)
    def parked_events(self, **data) -> list:
        """The events a handler (or every handler) parked, with why."""
        self.actor()
        return self.consumer.parked(HandlerQuery().load_or_raise(data)["handler"])

    @rpc(expected_exceptions=EXPECTED)
    def replay_parked(self, **data) -> list:
        """Run parked events again (one by `event_id`, or all of a handler's)."""
        self.actor()
        query = ReplayQuery().load_or_raise(data)
        return self.consumer.replay(event_id=query["event_id"], handler=query["handler"])

    @rpc(expected_exceptions=EXPECTED)
    def consumer_counts(self, **data) -> dict:
        """Per handler: events handled, parked and held now."""
        self.actor()
        return self.consumer.counts(HandlerQuery().load_or_raise(data)["handler"])


class PublishedInputs:
    published_inputs: dict = {}  # component name → the schema class an RPC loads its input with

    @rpc(expected_exceptions=EXPECTED)
    def input_schemas(self, **data) -> dict:
        """`{name: JSON Schema}` (OpenAPI 3.0 components, nested schemas included) of `published_inputs`."""
        self.actor()
        StrictSchema().load_or_raise(data)
        return openapi.input_schemas(self.published_inputs)

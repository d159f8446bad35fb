"""The idempotent event consumer every service uses to react to other services' events.

    class NotificationsService(ops.ConsumerOps):    # parked_events, replay_parked and
        name = "notifications"                      # consumer_counts (shared/ops.py)
        consumer = IdempotentConsumer("NOTIFICATIONS_DB")

        @consumes("cases", "case_dispatched")
        def on_case_dispatched(self, event):          # event: the envelope, payload and all
            notice_id = effect_id("notice", event)    # the same id on every run of this event
            ...                                       # insert_or_get(notices, {"_id": notice_id, ...})
            return {"notice_id": notice_id}           # recorded as the effect

What it promises. Each `@consumes` handler has its own durable queue on the publisher's event
exchange, declared with its binding when the service starts (nameko 2.14's `event_handler`
with SERVICE_POOL and reliable delivery), so events published while the service is down wait
for it; events published before it first started are not kept. Each handler settles each
`event_id` once, as handled (its effect recorded) or parked: a repeat of the event
(redelivered, or published again by the journal's sweep) finds the record `<handler>:<event_id>`
in `consumed_events` and is acknowledged without running the handler. Of two deliveries at
once, on any instances, one inserts the record (the claim) and runs; the other waits until the
claim is settled. A failing run is retried after waits doubling from
`CONSUMER_RETRY_FIRST_SECONDS`, with jitter; after `CONSUMER_RETRIES` retries the event is
parked: kept with its error in its record, listed by `parked()`, run once more by `replay()`
once the cause is fixed. When the consumer's own database does not answer, the event goes
back to the queue after a pause; any other error around the handler puts the message in
`<service>.parked` (shared.parking) rather than lose it.

The window. A run goes claim → run the handler → record the effect. A process that dies
after the handler wrote something and before the effect was recorded leaves a claim whose
lease (renewed while the handler runs) runs out after `CONSUMER_TAKEOVER_SECONDS`; the broker
delivers the unacknowledged event again and the delivery that takes the claim over runs the
handler again. So a handler must make its own writes idempotent, keyed by the event: write
documents whose `_id` is `effect_id(prefix, event)` with an insert that tolerates its twin
(`shared.writes.insert_or_get`) or an upsert, and make calls to other services with a
`request_id` derived the same way. Leases compare clocks of different machines: keep them in
step (NTP), and the takeover time well above any handler's run.

Config keys (all optional): `CONSUMER_RETRIES` (3), `CONSUMER_RETRY_FIRST_SECONDS` (0.2),
`CONSUMER_RETRY_MAX_SECONDS` (5), `CONSUMER_RETRY_JITTER` (0.5: each wait stretched by up to
half), `CONSUMER_TAKEOVER_SECONDS` (60), `CONSUMER_POLL_SECONDS` (0.5: how often a second
delivery looks whether the first finished); and `MONGO_URI`, `MONGO_TIMEOUT_MS` as for the store.
"""

from shared.consuming.entrypoint import consumes
from shared.consuming.keys import effect_id, event_key
from shared.consuming.leases import OutcomeNotRecorded
from shared.consuming.provider import IdempotentConsumer, NoConsumerDependency
from shared.consuming.runner import BoundConsumer, UnknownHandler
from shared.consuming.settings import ConsumerSettings, InvalidConsumerSetting

__all__ = ["BoundConsumer", "ConsumerSettings", "IdempotentConsumer", "InvalidConsumerSetting", "NoConsumerDependency",
           "OutcomeNotRecorded", "UnknownHandler", "consumes", "effect_id", "event_key"]

"""Commands that run once per request: a caller who sends a `request_id` and repeats the call
(after a timeout, a lost reply or a redelivery) gets the first answer, not a second change.

* `RequestLog` keeps the answer of every command sent with a request id, one document per
  caller (actor, role and jurisdiction), command and request id (`requests` in the service's database).
* `once` wraps an RPC method: a repeat is answered from the log; the same request id with
  different arguments is a `Conflict` naming `request_id`. Answers are kept per actor and
  role (so numbers stay masked as that role sees them) for `REQUEST_LOG_DAYS`; a service
  whose answers can hold unmasked numbers audits each repeat in its `audit_repeat`.
* An instance can die after its change is written and before its answer is logged. So the
  services also write the request id into the change itself (a case's timeline entry, an
  appointment's history step, an id derived from it) and recognise it there: the repeat then
  answers with the document as it is now, which includes that change.

A call that failed is not logged: its repeat runs again.
"""

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from kombu.utils import json as wire_json
from pymongo.collection import Collection

from shared.clock import utcnow
from shared.errors import Conflict, ValidationFailed, field_error
from shared.schemas import unstorable_strings
from shared.writes import insert_or_get

MAX_LENGTH = 100


def request_key(caller: str, command: str, request_id: str) -> str:
    """The log document's id: the same request id from two callers (`Actor.key`: who, role and
    jurisdiction) is two requests."""
    return hashlib.sha256(f"{caller}\0{command}\0{request_id}".encode()).hexdigest()[:40]


def fingerprint(arguments: Mapping[str, Any]) -> str:
    """What the request asked for, so a request id reused for something else is noticed."""
    body = {k: v for k, v in arguments.items() if k != "request_id"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def checked_request_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LENGTH:
        raise field_error("request_id", f"must be a non-empty string of at most {MAX_LENGTH} characters")
    return value


class RequestLog:
    """The first answer to each request, stored as the JSON text the broker would carry
    (answers may hold keys and nestings a document field may not)."""

    def __init__(self, collection: Collection, keep_days: float = 7):
        self.coll = collection
        self.keep = timedelta(days=keep_days)
        self.expired_at: datetime | None = None

    def recall(self, key: str, asked: str) -> Any | None:
        """The answer given to this request before, or None when there is none."""
        doc = self.coll.find_one({"_id": key})
        return None if doc is None else self._answer(doc, asked)

    def remember(self, key: str, asked: str, answer: Any) -> Any:
        """Log the answer; when a twin of the request logged its answer first, that one stands."""
        doc, _ = insert_or_get(self.coll, {"_id": key, "fingerprint": asked, "answer": wire_json.dumps(answer),
                                           "at": utcnow()})
        return answer if doc is None else self._answer(doc, asked)

    @staticmethod
    def _answer(doc: Mapping, asked: str) -> Any:
        return logged_answer(doc, asked)

    def expire(self, now: datetime, every: timedelta = timedelta(hours=1)) -> int:
        """Forget answers older than the keeping time (at most once per `every`); returns how many."""
        if self.expired_at is not None and now - self.expired_at < every:
            return 0
        self.expired_at = now
        return self.coll.delete_many({"at": {"$lt": now - self.keep}}).deleted_count


def once(method: Callable[..., Any]) -> Callable[..., Any]:
    """Put under `@rpc` on a command: with a `request_id` among the arguments, a repeat by the
    same actor gets the first answer. The service's store gives the log as `store.requests`."""
    command = method.__name__

    @functools.wraps(method)
    def entrypoint(self, **data: Any) -> Any:
        if data.get("request_id") is None:
            return method(self, **data)
        request_id = checked_request_id(data["request_id"])
        unstorable = unstorable_strings(data)
        if unstorable:  # refused as the schema would, before the log is asked
            raise ValidationFailed("input is not valid", unstorable)
        actor = self.actor()
        key, asked = request_key(actor.key, command, request_id), fingerprint(data)
        log: RequestLog = self.store.requests
        earlier = log.recall(key, asked)
        if earlier is not None:
            if hasattr(self, "audit_repeat"):
                self.audit_repeat(command, earlier)
            return earlier
        return log.remember(key, asked, method(self, **data))

    return entrypoint


def applied(entries: list[Mapping] | None, request_id: str | None, who: str) -> bool:
    """Whether a list of recorded steps (a timeline, a history) holds this actor's request."""
    if not request_id:
        return False
    return any(e.get("request_id") == request_id and (e.get("actor") or {}).get("who", e.get("by")) == who
               for e in entries or ())


def logged_answer(doc: Mapping, asked: str) -> Any:
    """The answer a request log entry keeps, when it was asked with the same arguments; a
    `Conflict` naming `request_id` when the same id came with different ones."""
    if doc["fingerprint"] != asked:
        raise Conflict("this request_id was already used for a different request",
                       [{"field": "request_id", "reason": "already used for a different request"}])
    return wire_json.loads(doc["answer"])

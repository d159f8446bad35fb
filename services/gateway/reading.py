"""What a request carries for a command: its JSON body (at most `MAX_BODY_BYTES`), its
`Idempotency-Key`, its query string without the key that names the caller."""

import json

from werkzeug.wrappers import Request

from shared.errors import ValidationFailed, field_error

MAX_BODY_BYTES = 1_000_000
IDEMPOTENCY_KEY = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 100  # characters, as the services' `request_id`
CALLER_PARAMETER = "api_key"  # names the caller; never passed on to a service


def body_of(request: Request) -> dict:
    """The request's JSON object."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise field_error("body", f"larger than {MAX_BODY_BYTES:,} bytes")
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise ValidationFailed("the body is not JSON", [{"field": "body", "reason": "not valid JSON"}]) from None
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", [{"field": "body", "reason": "not an object"}])
    return body


def once_only(request: Request, arguments: dict) -> dict:
    """A command's arguments with the request's `Idempotency-Key` as its `request_id`: sent
    again, the service answers as the first time and makes nothing twice."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return arguments
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY:
        raise field_error(IDEMPOTENCY_KEY, f"1 to {MAX_IDEMPOTENCY_KEY} characters, not blank")
    if arguments.get("request_id") not in (None, key):
        raise field_error(IDEMPOTENCY_KEY, "differs from the body's request_id")
    return {**arguments, "request_id": key}


def query_of(request: Request) -> dict[str, list[str]]:
    """The query string, each name with all its values; the caller's key left out."""
    return {name: request.args.getlist(name) for name in request.args if name != CALLER_PARAMETER}

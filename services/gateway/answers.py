"""How the gateway answers an error: the structured errors of the gateway and of the services
it calls, each with the status the one table (`statuses`) gives its code, as the JSON API's
`{"error": {...}}` or as Open311's list of `{code, description}` in JSON or XML."""

import functools
import json
import logging
from collections.abc import Callable, Mapping

from nameko.exceptions import RemoteError, UnknownService
from werkzeug.wrappers import Response

from services.gateway import open311
from services.gateway.statuses import status_for
from services.gateway.web import json_response
from shared.errors import LinliError, remote_code
from shared.resilience import DATABASE_GONE, Unavailable, database_unavailable

log = logging.getLogger(__name__)
XML = "text/xml; charset=utf-8"
RETRY_UNAVAILABLE_SECONDS = 5  # `Retry-After` of a 503
ErrorAnswer = Callable[[LinliError, Mapping], Response]


def as_linli_error(error: Exception) -> LinliError | None:
    """The structured error an RPC raised: as this process knows it, or rebuilt from the JSON
    of a `RemoteError` (another service's error class); `Unavailable` for the gateway's own
    database or a service nobody serves; None for anything else."""
    if isinstance(error, LinliError):
        return error
    if isinstance(error, DATABASE_GONE):
        return database_unavailable(error)
    if isinstance(error, UnknownService):
        return Unavailable(f"{error} is not running", [{"field": "service", "reason": "not running; try again later"}])
    code = remote_code(error) if isinstance(error, RemoteError) else None
    if code is None:
        return None
    parsed = json.loads(error.value)
    rebuilt = LinliError(str(parsed.get("message") or code), list(parsed.get("details") or []))
    rebuilt.code = code
    return rebuilt


def has_code(error: Exception, *codes: str) -> bool:
    """Whether an error (an RPC's, as `as_linli_error` reads it) is one of `codes`."""
    known = as_linli_error(error)
    return known is not None and known.code in codes


def headers_for(error: LinliError) -> dict:
    """The headers an error's status asks for: how to authenticate, when to try again."""
    headers = {}
    if error.code == "unauthenticated":
        headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    elif error.code == "unavailable":
        headers["Retry-After"] = str(RETRY_UNAVAILABLE_SECONDS)
    return headers


def json_error(error: LinliError, path: Mapping) -> Response:
    """The JSON API's answer: `{"error": {code, message, message_zh, details}}`."""
    return json_response(status_for(error.code).json, {"error": error.to_dict()}, headers_for(error))


def open311_error(error: LinliError, path: Mapping) -> Response:
    """Open311's answer: a list of `{code, description}` in the format the path asked for."""
    status = status_for(error.code).open311
    return open311_answer(path.get("fmt"), "errors", "error", open311.errors_from(error, status), status,
                          headers_for(error))


def open311_answer(fmt: str | None, root: str, item: str, rows: list[dict], status: int = 200,
                   headers: dict | None = None) -> Response:
    """Rows as GeoReport answers them: a JSON list, or XML `<root><item>…</item></root>`."""
    if fmt == "xml":
        return Response(open311.to_xml(root, item, rows), status=status, headers=headers or {}, content_type=XML)
    return json_response(status, rows, headers)


def answered(render: ErrorAnswer) -> Callable:
    """Every failure becomes `render(error, path values)`, in the route's own format: a
    structured error from the gateway or a service with its code's status, anything else
    logged and answered as an internal error (500) that tells the caller nothing more."""

    def decorate(method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(method)
        def entrypoint(self, request, **path) -> Response:
            try:
                return method(self, request, **path)
            except Exception as error:  # noqa: BLE001 - every failure gets an answer in the route's format
                known = as_linli_error(error)
                if known is None:
                    log.error("%s %s failed", request.method, request.path, exc_info=error)
                    known = LinliError("internal error")
                return render(known, path)

        return entrypoint

    return decorate

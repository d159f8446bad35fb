"""How the gateway answers an error: the structured errors of the gateway and of the services
it calls, each with the status the one table (`statuses`) gives its code, as the JSON API's
`{"error": {...}}` or as Open311's list of `{code, description}` in JSON or XML."""

import functools
import json
from collections.abc import Callable, Mapping

from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from services.gateway import open311
from services.gateway.statuses import status_for
from services.gateway.web import json_response
from shared.errors import LinliError, remote_code

XML = "text/xml; charset=utf-8"
ErrorAnswer = Callable[[LinliError, Mapping], Response]


def as_linli_error(error: Exception) -> LinliError | None:
    """The structured error an RPC raised: as this process knows it, or rebuilt from the JSON
    of a `RemoteError` (another service's error class); None for anything else."""
    if isinstance(error, LinliError):
        return error
    code = remote_code(error) if isinstance(error, RemoteError) else None
    if code is None:
        return None
    parsed = json.loads(error.value)
    rebuilt = LinliError(str(parsed.get("message") or code), list(parsed.get("details") or []))
    rebuilt.code = code
    return rebuilt


def _headers(error: LinliError) -> dict:
    headers = {}
    if error.code == "unauthenticated":
        headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return headers


def json_error(error: LinliError, path: Mapping) -> Response:
    """The JSON API's answer: `{"error": {code, message, message_zh, details}}`."""
    return json_response(status_for(error.code).json, {"error": error.to_dict()}, _headers(error))


def open311_error(error: LinliError, path: Mapping) -> Response:
    """Open311's answer: a list of `{code, description}` in the format the path asked for."""
    status = status_for(error.code).open311
    return open311_answer(path.get("fmt"), "errors", "error", open311.errors_from(error, status), status,
                          _headers(error))


def open311_answer(fmt: str | None, root: str, item: str, rows: list[dict], status: int = 200,
                   headers: dict | None = None) -> Response:
    """Rows as GeoReport answers them: a JSON list, or XML `<root><item>…</item></root>`."""
    if fmt == "xml":
        return Response(open311.to_xml(root, item, rows), status=status, headers=headers or {}, content_type=XML)
    return json_response(status, rows, headers)


def answered(render: ErrorAnswer) -> Callable:
    """A structured error from the gateway or a service becomes `render(error, path values)`."""

    def decorate(method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(method)
        def entrypoint(self, request, **path) -> Response:
            try:
                return method(self, request, **path)
            except (LinliError, RemoteError) as error:
                known = as_linli_error(error)
                if known is None:
                    raise
                return render(known, path)

        return entrypoint

    return decorate

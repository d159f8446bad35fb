"""The gateway's HTTP plumbing on nameko's web server: routes whose unexpected failures still
answer structured JSON, and a server that drops idle keep-alive connections, so that a stop is
never held up by a client that keeps one open."""

import json
import logging
import re

from eventlet import wsgi
from nameko.exceptions import BadRequest
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)
SOCKET_TIMEOUT_SECONDS = 30.0
CALLERS_KEY = re.compile(r"(api_key=)[^&\s\"]+")


class HideKeys(logging.Filter):
    """A request line logged with a caller's key in its query string shows `api_key=***`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key=" in message:
            record.msg, record.args = CALLERS_KEY.sub(r"\1***", message), ()
        return True


log.addFilter(HideKeys())
JSON = "application/json; charset=utf-8"


def json_response(status: int, body: object, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status, headers=headers or {},
                    content_type=JSON)


class GatewayWebServer(WebServer):
    """Config `WEB_SERVER_ADDRESS` (host:port, default 0.0.0.0:8000) and
    `HTTP_SOCKET_TIMEOUT_SECONDS` (default 30: an idle connection is closed after it)."""

    def get_wsgi_server(self, sock, wsgi_app, protocol=HttpOnlyProtocol, debug=False):
        timeout = float(self.container.config.get("HTTP_SOCKET_TIMEOUT_SECONDS", SOCKET_TIMEOUT_SECONDS))
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug, log=log,
                           socket_timeout=timeout)


class Route(HttpRequestHandler):
    """`@route("GET", "/path/<name>")`: what the method does not answer itself (a failure
    before or outside it) is answered as JSON with the error's code."""

    server = GatewayWebServer()

    def response_from_exception(self, exc):
        if isinstance(exc, BadRequest):
            return json_response(400, {"error": {"code": "invalid", "message": str(exc), "details": []}})
        log.error("unanswered failure in %s %s", self.method, self.url, exc_info=exc)
        return json_response(500, {"error": {"code": "error", "message": "internal error", "details": []}})


route = Route.decorator

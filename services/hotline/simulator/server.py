"""The simulator's HTTP side: the platform API under `/api/` and the control API under `/_sim/`
(see services/hotline/PROTOCOL.md), JSON in and out. A bad request is answered 400 with
`{"error"}`; nothing a client sends stops the server."""

import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from services.hotline.simulator import feed
from services.hotline.simulator.platform_state import PlatformState
from services.hotline.simulator.tickets import Refusal, moment_of

TICKET_CALL = re.compile(r"/api/tickets/(?P<ticket_no>[^/]+)/(?P<action>sign|return|extension|reply)")
TICKET_UPDATE = re.compile(r"/_sim/tickets/(?P<ticket_no>[^/]+)/(?P<kind>survey|rework)")


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: PlatformState, token: str | None = None):
        super().__init__(address, Handler)
        self.state, self.token = state, token

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is no fault
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a requests.Session expects
    disable_nagle_algorithm = True  # headers and body go out as two writes: don't wait between them
    error_message_format = '{"error": "%(code)d %(message)s"}'  # for requests http.server cannot parse
    error_content_type = "application/json; charset=utf-8"
    server: SimulatorServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        try:
            length = self.headers.get("Content-Length") or "0"
            if not length.isdigit():
                self.close_connection = True  # the body's end is unknown
                raise Refusal(400, "the Content-Length header is not a number")
            raw = self.rfile.read(int(length))
            if method not in ("GET", "POST"):
                raise Refusal(405, f"{method} is not used here: GET and POST only")
            if url.path.startswith("/api/"):
                return self._api(method, url.path, query, raw)
            if url.path.startswith("/_sim/"):
                return self._answer(200, control(self.server.state, method, url.path, decoded(raw)))
            raise Refusal(404, f"no such path {url.path}")
        except Refusal as refusal:
            self._answer(refusal.status, {"error": str(refusal)})
        except Exception as error:  # the simulator's own fault: say so, keep serving
            self._answer(500, {"error": f"simulator fault: {type(error).__name__}: {error}"})

    def _api(self, method: str, path: str, query: dict, raw: bytes) -> None:
        state = self.server.state
        called = TICKET_CALL.fullmatch(path)
        endpoint = f"{method} /api/tickets/{{ticket_no}}/{called['action']}" if called else f"{method} {path}"
        outage, delay, fail = state.admit(endpoint)
        if outage == "refuse":
            self.close_connection = True  # hang up without a word
            return
        if outage:
            raise Refusal(503, "the platform is down for maintenance")
        if self.server.token and self.headers.get("Authorization") != f"Bearer {self.server.token}":
            raise Refusal(401, "a valid bearer token is required")
        time.sleep(delay)
        if fail:
            raise Refusal(500, "internal error (simulated)")
        if method == "GET" and path == "/api/changes":
            return self._answer(200, state.changes(query.get("cursor"), limit_of(query)))
        if method == "GET" and path == "/api/tickets":
            since = moment_of(query, "since") if query.get("since") else None
            return self._answer(200, state.listing(since))
        if method == "POST" and called:
            key = self.headers.get("Idempotency-Key")
            if not key:
                raise Refusal(400, "the Idempotency-Key header is required")
            body = decoded(raw)
            answer = state.act(called["action"], unquote(called["ticket_no"]), {} if body is None else body, key)
            return self._answer(200, answer)
        raise Refusal(404, f"no such endpoint {method} {path}")

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:  # the client gave up waiting
            self.close_connection = True


def control(state: PlatformState, method: str, path: str, body: object) -> dict:
    if method == "GET" and path == "/_sim/state":
        return state.snapshot()
    if method != "POST":
        raise Refusal(404, f"no such control {method} {path}")
    if path == "/_sim/reset":
        state.reset()
        return {"ok": True}
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise Refusal(400, "expected a JSON object")
    updated = TICKET_UPDATE.fullmatch(path)
    if updated:
        act = state.survey if updated["kind"] == "survey" else state.rework
        return act(unquote(updated["ticket_no"]), body)
    if path not in CONTROLS:
        raise Refusal(404, f"no such control {method} {path}")
    return CONTROLS[path](state, body)


CONTROLS = {
    "/_sim/tickets": lambda state, body: state.add_tickets(body.get("tickets")),
    "/_sim/generate": PlatformState.generate,
    "/_sim/behaviour": PlatformState.behave,
    "/_sim/outage": PlatformState.outage,
    "/_sim/malformed": PlatformState.append_raw,
}


def decoded(raw: bytes) -> object:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise Refusal(400, "the body is not JSON") from None


def limit_of(query: dict) -> int:
    value = query.get("limit", str(feed.DEFAULT_LIMIT))
    if not value.isdigit() or not 1 <= int(value) <= feed.MAX_LIMIT:
        raise Refusal(400, f"limit: expected a whole number from 1 to {feed.MAX_LIMIT}")
    return int(value)

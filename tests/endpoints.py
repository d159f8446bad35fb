"""Local stand-ins for the providers notifications sends to, run as their own process so that
tests and `nameko run` services reach them over real sockets:

- HTTP on `--http-port`: an SMS gateway (`POST /sms`; like gateways that keep idempotency keys,
  a repeat of an `Idempotency-Key` it took is answered with the first id and not sent again:
  `"repeat": true` in what it kept), WeCom robots (`POST
  /cgi-bin/webhook/send?key=…`), WeCom's application API (`GET /cgi-bin/gettoken`, `POST
  /cgi-bin/message/send`), DingTalk robots (`POST /robot/send?access_token=…&timestamp=…&sign=…`,
  the signature checked against `--dingtalk-secret`). Each answers as the provider does.
- SMTP on `--smtp-port` (aiosmtpd): every mail kept; a recipient listed by `POST /_control/refuse`
  is refused with 550.
- Control: `GET /_control/requests` (everything received, in order: `{kind, path, query, headers,
  body}`), `POST /_control/fail` with `{"path": "/sms", "answers": [503, 503, {"errcode": 45009}]}`
  (the next answers on that path, then normal again; `"forever": 503` for every answer), `POST
  /_control/delay` with `{"path": "/sms", "seconds": 0.2}` (a slow provider), `POST
  /_control/reset`.

`python -m tests.endpoints --http-port 8025 --smtp-port 8026`."""

import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

LOCK = threading.Lock()
RECEIVED: list[dict] = []
FAILURES: dict[str, list] = {}
FOREVER: dict[str, object] = {}
REFUSED: set[str] = set()
DELAYS: dict[str, float] = {}
TAKEN: dict[str, str] = {}  # SMS idempotency key → the id it was answered with
OK = {"errcode": 0, "errmsg": "ok"}


def keep(entry: dict) -> None:
    with LOCK:
        RECEIVED.append({**entry, "at": time.time()})


def next_failure(path: str):
    with LOCK:
        if path in FOREVER:
            return FOREVER[path]
        queued = FAILURES.get(path) or []
        return queued.pop(0) if queued else None


class Handler(BaseHTTPRequestHandler):
    secret = ""

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/_control/requests":
            with LOCK:
                return self._answer(200, list(RECEIVED))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        keep({"kind": "http", "method": "GET", "path": url.path, "query": query, "headers": dict(self.headers),
              "body": None})
        if url.path == "/cgi-bin/gettoken":
            return self._answer(200, {**OK, "access_token": f"token-{query.get('corpid')}", "expires_in": 7200})
        return self._answer(404, {"errcode": 404, "errmsg": "no such path"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        if url.path.startswith("/_control/"):
            return self._control(url.path, body)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        time.sleep(DELAYS.get(url.path, 0))
        key = self.headers.get("Idempotency-Key") if url.path == "/sms" else None
        with LOCK:
            repeat = key in TAKEN
        keep({"kind": "http", "method": "POST", "path": url.path, "query": query, "headers": dict(self.headers),
              "body": body, **({"repeat": True} if repeat else {})})
        if repeat:
            return self._answer(200, {"id": TAKEN[key]})
        failure = next_failure(url.path)
        if isinstance(failure, int):
            return self._answer(failure, {"error": f"HTTP {failure} on demand"})
        if isinstance(failure, dict):
            return self._answer(200, failure)
        if url.path == "/robot/send" and self.secret and not self._signed(query):
            return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
        if url.path == "/sms":
            answer_id = f"sms-{len(RECEIVED)}"
            if key:
                with LOCK:
                    TAKEN[key] = answer_id
            return self._answer(200, {"id": answer_id})
        if url.path == "/cgi-bin/message/send":
            return self._answer(200, {**OK, "msgid": f"msg-{len(RECEIVED)}"})
        return self._answer(200, OK)

    def _signed(self, query: dict) -> bool:
        timestamp = query.get("timestamp", "")
        expected = base64.b64encode(hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(),
                                             hashlib.sha256).digest()).decode()
        return query.get("sign") == expected

    def _control(self, path: str, body: dict) -> None:
        with LOCK:
            if path == "/_control/reset":
                RECEIVED.clear(), FAILURES.clear(), FOREVER.clear(), REFUSED.clear(), DELAYS.clear(), TAKEN.clear()
            elif path == "/_control/fail":
                if "forever" in body:
                    if body["forever"] is None:
                        FOREVER.pop(body["path"], None)
                    else:
                        FOREVER[body["path"]] = body["forever"]
                else:
                    FAILURES.setdefault(body["path"], []).extend(body.get("answers") or [])
            elif path == "/_control/delay":
                DELAYS[body["path"]] = float(body["seconds"])
            elif path == "/_control/refuse":
                REFUSED.update(body.get("recipients") or [])
        self._answer(200, {"ok": True})


class Mailbox:
    async def handle_RCPT(self, server, session, envelope: Envelope, address: str, rcpt_options) -> str:
        if address in REFUSED:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:
        mail = message_from_bytes(envelope.content)
        payload = mail.get_payload(decode=True) or b""
        keep({"kind": "smtp", "path": "smtp", "query": {}, "headers": {k: str(v) for k, v in mail.items()},
              "body": {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                       "subject": str(make_header(decode_header(mail["Subject"] or ""))),
                       "text": payload.decode(mail.get_content_charset() or "utf-8", errors="replace")}})
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--dingtalk-secret", default="")
    arguments = parser.parse_args()
    Handler.secret = arguments.dingtalk_secret
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=arguments.smtp_port)
    smtp.start()
    server = ThreadingHTTPServer(("127.0.0.1", arguments.http_port), Handler)
    print(f"endpoints: http 127.0.0.1:{arguments.http_port}, smtp 127.0.0.1:{arguments.smtp_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()

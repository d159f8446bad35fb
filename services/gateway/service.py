"""The HTTP gateway: the services' operations for systems that speak HTTP rather than AMQP.

Each request names its caller by API key (`X-API-Key`); the key's actor is what the services
see, through the same signed token every RPC carries. The services' RPC proxies are shared by
all requests (one reply queue per process over a bounded pool of connections), never a new
connection per request. Thin entrypoints: reading the request, the calls, the answer."""

import functools
import json
import logging
from collections.abc import Callable

from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request, Response

from services.gateway import docs, keys
from services.gateway.arguments import from_query
from services.gateway.openapi import API, OPERATIONS, TITLE, build_spec
from services.gateway.repository import GatewayStore
from services.gateway.rights import RIGHTS
from services.gateway.schemas import IssueKey, KeyRef
from services.gateway.statuses import status_for
from services.gateway.web import json_response, route
from shared.actor import ROOT_ROLES, Actor, CurrentActor
from shared.calls import call
from shared.clock import utcnow
from shared.errors import EXPECTED, LinliError, ValidationFailed, remote_code
from shared.mongo import MongoStore
from shared.resilience import Unavailable
from shared.rpc import rpc
from shared.ttlcache import TTLCache

log = logging.getLogger(__name__)
#: the services' published inputs, asked again after this long (a service upgraded meanwhile)
INPUTS_SECONDS = 300
QUERIES = {op.name: op for op in OPERATIONS if op.query}


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


def error_response(error: LinliError) -> Response:
    headers = {}
    if error.code == "unauthenticated":
        headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return json_response(status_for(error.code).json, {"error": error.to_dict()}, headers)


def answered(method: Callable[..., Response]) -> Callable[..., Response]:
    """A structured error from the gateway or a service becomes its JSON answer."""

    @functools.wraps(method)
    def entrypoint(self, request: Request, **path) -> Response:
        try:
            return method(self, request, **path)
        except (LinliError, RemoteError) as error:
            known = as_linli_error(error)
            if known is None:
                raise
            return error_response(known)

    return entrypoint


def body_of(request: Request) -> dict:
    """The request's JSON object."""
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise ValidationFailed("the body is not JSON", [{"field": "body", "reason": "not valid JSON"}]) from None
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", [{"field": "body", "reason": "not an object"}])
    return body


class GatewayService:
    name = "gateway"
    rights = RIGHTS  # who may call each RPC (the key RPCs): checked before anything else
    inputs = TTLCache(INPUTS_SECONDS, 1)  # per process: the services' input schemas

    store: GatewayStore = MongoStore(GatewayStore, "GATEWAY_DB")
    actor = CurrentActor()
    cases = RpcProxy("cases")
    rosters = RpcProxy("rosters")
    config = Config()

    def _timeout(self) -> float:
        return float(self.config.get("OTHERS_TIMEOUT_SECONDS", 10))

    def _inputs(self) -> dict:
        """The input schemas the services publish (asked as the gateway itself)."""
        found = self.inputs.get("cases")
        if found is None:
            self.actor.become_service(self.name)
            found = call(self.cases, "cases", "input_schemas", self._timeout(), "openapi", Unavailable)
            self.inputs.put("cases", found)
        return found

    def _query(self, request: Request, operation: str) -> dict:
        """The query string as the arguments of `operation`'s RPC, typed by its input schema."""
        op = QUERIES[operation]
        return from_query(self._inputs()[op.query], {name: request.args.getlist(name) for name in request.args})

    def _call(self, request: Request, service: str, method: str, field: str, **arguments):
        """`service.method(**arguments)` as the caller the request's API key names."""
        raw = request.headers.get("X-API-Key") or request.args.get("api_key") or request.form.get("api_key")
        key = self.store.keys.admit(raw, utcnow())
        proxy = {"cases": self.cases, "rosters": self.rosters}[service]
        with self.actor.acting_as(keys.actor_of(key)):
            return call(proxy, service, method, self._timeout(), field, Unavailable, **arguments)

    # the JSON API

    @route("POST", f"{API}/cases")
    @answered
    def report_case(self, request: Request) -> Response:
        case = self._call(request, "cases", "report", "case", **body_of(request))
        return json_response(201, case, {"Location": f"{API}/cases/{case['case_id']}"})

    @route("GET", f"{API}/cases/<case_id>")
    @answered
    def get_case(self, request: Request, case_id: str) -> Response:
        return json_response(200, self._call(request, "cases", "get_case", "case_id", case_id=case_id))

    @route("GET", f"{API}/cases")
    @answered
    def search_cases(self, request: Request) -> Response:
        arguments = self._query(request, "search_cases")
        return json_response(200, self._call(request, "cases", "search", "query", **arguments))

    @route("GET", f"{API}/stats/<node_id>")
    @answered
    def stats(self, request: Request, node_id: str) -> Response:
        arguments = {**self._query(request, "stats"), "node_id": node_id}
        return json_response(200, self._call(request, "cases", "stats", "node_id", **arguments))

    @route("GET", f"{API}/units/<unit_id>/chain")
    @answered
    def responsible_chain(self, request: Request, unit_id: str) -> Response:
        chain = self._call(request, "rosters", "responsible_chain", "unit_id", unit_id=unit_id)
        return json_response(200, {"unit_id": unit_id, "chain": chain})

    # the document and its page: open to all, like any published API description

    @route("GET", f"{API}/openapi.json")
    @answered
    def openapi(self, request: Request) -> Response:
        return json_response(200, build_spec(self._inputs()))

    @route("GET", f"{API}/docs")
    def docs_page(self, request: Request) -> Response:
        return Response(docs.page(TITLE), content_type="text/html; charset=utf-8")

    @route("GET", f"{API}/docs/<name>")
    def docs_asset(self, request: Request, name: str) -> Response:
        found = docs.asset(name)
        if found is None:
            return json_response(404, {"error": {"code": "not_found", "message": f"no file {name}",
                                                 "details": [{"field": "name", "reason": "not found"}]}})
        content, content_type = found
        return Response(content, content_type=content_type, headers={"Cache-Control": "max-age=86400"})

    # keys, for ops over RPC

    @rpc(expected_exceptions=EXPECTED)
    def issue_key(self, **data) -> dict:
        """A key for a calling system; the raw key is in this answer only."""
        request = IssueKey().load_or_raise(data)
        jurisdiction: tuple[str, ...] = ()
        if request["node_id"]:
            unit = call(self.rosters, "rosters", "get_unit", self._timeout(), "node_id", Unavailable,
                        unit_id=request["node_id"])
            jurisdiction = (*unit.get("ancestors", []), unit["unit_id"])
        elif request["role"] not in ROOT_ROLES:
            raise ValidationFailed("a key for a role below root needs its place",
                                   [{"field": "node_id", "reason": "required unless the role is root"}])
        raw = keys.new_raw_key()
        actor = Actor(request["who"], request["role"], jurisdiction)
        doc = self.store.keys.issue(keys.key_document(keys.digest(raw), request["name"], actor,
                                                      request["per_minute"], utcnow()))
        return {**keys.public_view(doc), "api_key": raw}

    @rpc(expected_exceptions=EXPECTED)
    def revoke_key(self, **data) -> dict:
        return keys.public_view(self.store.keys.revoke(KeyRef().load_or_raise(data)["key_id"], utcnow()))

    @rpc(expected_exceptions=EXPECTED)
    def list_keys(self, **data) -> dict:
        if data:
            raise ValidationFailed("list_keys takes no arguments",
                                   [{"field": name, "reason": "unknown field"} for name in data])
        return {"keys": [keys.public_view(doc) for doc in self.store.keys.listed()]}

"""The JSON API's routes (`/api/v1`): the services' operations other systems need, each as the
caller the request's API key names, and the OpenAPI document with its interactive page."""

import json

from werkzeug.wrappers import Request, Response

from services.gateway import docs
from services.gateway.answers import answered, json_error
from services.gateway.arguments import from_query
from services.gateway.openapi import API, OPERATIONS, TITLE, build_spec
from services.gateway.web import json_response, route
from shared.errors import ValidationFailed, field_error

QUERIES = {op.name: op for op in OPERATIONS if op.query}
IDEMPOTENCY_KEY = "Idempotency-Key"


def body_of(request: Request) -> dict:
    """The request's JSON object."""
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
    if not key:
        return arguments
    if arguments.get("request_id") not in (None, key):
        raise field_error(IDEMPOTENCY_KEY, "differs from the body's request_id")
    return {**arguments, "request_id": key}


class JsonApi:
    """Routes of `GatewayService`; `_call`, `_published` and `_inputs` are the service's."""

    def _query(self, request: Request, operation: str) -> dict:
        """The query string as the arguments of `operation`'s RPC, typed by its input schema."""
        op = QUERIES[operation]
        schema = self._published(op.service, "input_schemas")[op.query]
        return from_query(schema, {name: request.args.getlist(name) for name in request.args})

    @route("POST", f"{API}/cases")
    @answered(json_error)
    def report_case(self, request: Request) -> Response:
        case = self._call(request, "cases", "report", "case", **once_only(request, body_of(request)))
        return json_response(201, case, {"Location": f"{API}/cases/{case['case_id']}"})

    @route("GET", f"{API}/cases/<case_id>")
    @answered(json_error)
    def get_case(self, request: Request, case_id: str) -> Response:
        return json_response(200, self._call(request, "cases", "get_case", "case_id", case_id=case_id))

    @route("GET", f"{API}/cases")
    @answered(json_error)
    def search_cases(self, request: Request) -> Response:
        arguments = self._query(request, "search_cases")
        return json_response(200, self._call(request, "cases", "search", "query", **arguments))

    @route("GET", f"{API}/stats/<node_id>")
    @answered(json_error)
    def stats(self, request: Request, node_id: str) -> Response:
        arguments = {**self._query(request, "stats"), "node_id": node_id}
        return json_response(200, self._call(request, "cases", "stats", "node_id", **arguments))

    @route("GET", f"{API}/units/<unit_id>/chain")
    @answered(json_error)
    def responsible_chain(self, request: Request, unit_id: str) -> Response:
        chain = self._call(request, "rosters", "responsible_chain", "unit_id", unit_id=unit_id)
        return json_response(200, {"unit_id": unit_id, "chain": chain})

    @route("POST", f"{API}/notices")
    @answered(json_error)
    def send_notice(self, request: Request) -> Response:
        notice = self._call(request, "notifications", "notify", "notice", **once_only(request, body_of(request)))
        return json_response(201, notice, {"Location": f"{API}/notices/{notice['notice_id']}"})

    @route("GET", f"{API}/notices/<notice_id>")
    @answered(json_error)
    def notice_status(self, request: Request, notice_id: str) -> Response:
        return json_response(200, self._call(request, "notifications", "notice_status", "notice_id",
                                             notice_id=notice_id))

    # the document and its page: open to all, like any published API description

    @route("GET", f"{API}/openapi.json")
    @answered(json_error)
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

"""The JSON API's routes (`/api/v1`): the services' operations other systems need, each as the
caller the request's API key names, and the OpenAPI document with its interactive page."""

from werkzeug.wrappers import Request, Response

from services.gateway import docs
from services.gateway.answers import answered, json_error
from services.gateway.arguments import from_query
from services.gateway.openapi import API, OPERATIONS, TITLE, build_spec
from services.gateway.reading import body_of, once_only, query_of
from services.gateway.web import json_response, route
from shared.errors import NotFound

QUERIES = {op.name: op for op in OPERATIONS if op.query}


class JsonApi:
    """Routes of `GatewayService`; `_caller`, `_ask`, `_call`, `_published` and `_inputs` are the service's."""

    def _query(self, request: Request, operation: str) -> dict:
        """The query string as the arguments of `operation`'s RPC, typed by its input schema."""
        op = QUERIES[operation]
        return from_query(self._published(op.service, "input_schemas")[op.query], query_of(request))

    def _command(self, request: Request, service: str, method: str, field: str) -> dict:
        """A command whose arguments are the JSON body, as the caller (known before the body is read)."""
        caller = self._caller(request, public=False)
        return self._ask(caller, service, method, field, **once_only(request, body_of(request)))

    @route("POST", f"{API}/cases")
    @answered(json_error)
    def report_case(self, request: Request) -> Response:
        case = self._command(request, "cases", "report", "case")
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
        notice = self._command(request, "notifications", "notify", "notice")
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
    @answered(json_error)
    def docs_asset(self, request: Request, name: str) -> Response:
        found = docs.asset(name)
        if found is None:
            raise NotFound(f"no file {name}", [{"field": "name", "reason": "not found"}])
        content, content_type = found
        return Response(content, content_type=content_type, headers={"Cache-Control": "max-age=86400"})

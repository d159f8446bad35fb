"""Open311 GeoReport v2 (`/open311/v2`), as civic clients speak it: the case categories as
services, a case as a service request, in JSON or XML (`.json` / `.xml`), errors as a list of
`{code, description}`. Filing a request takes an `api_key`; reading takes one too, or is
answered as the key ops marked for public reads, when there is one (clients such as
`georeport` send no key when they read)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from nameko.exceptions import RemoteError
from werkzeug.wrappers import Request, Response

from services.gateway import open311
from services.gateway.answers import XML, answered, has_code, open311_answer, open311_error
from services.gateway.reading import once_only
from services.gateway.web import json_response, route
from shared.actor import Actor
from shared.errors import LinliError, NotFound, ValidationFailed

BASE = "/open311/v2"
CHANGESET = "2026-12-02T00:00:00Z"  # when the endpoint's behaviour last changed
FORMATS = ("json", "xml")  # the paths' suffixes
UNREADABLE = ("not_found", "forbidden")  # a listed id the caller cannot read is left out


def checked_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"no format {fmt}", [{"field": "format", "reason": "json or xml"}])
    return fmt


def single_values(request: Request, source: str) -> dict[str, str]:
    """A query string or form as one value per name (the last one given)."""
    given = request.args if source == "query" else request.form
    return {name: given.getlist(name)[-1] for name in given}


class Open311Api:
    """Routes of `GatewayService`; `_call`, `_labels` and `config` are the service's."""

    @route("GET", f"{BASE}/discovery.<fmt>")
    @answered(open311_error)
    def open311_discovery(self, request: Request, fmt: str) -> Response:
        document = open311.discovery(request.host_url.rstrip("/") + BASE, self.config.get("OPEN311_CONTACT", ""),
                                     CHANGESET)
        if checked_format(fmt) == "xml":
            return Response(open311.discovery_xml(document), content_type=XML)
        return json_response(200, document)

    @route("GET", f"{BASE}/services.<fmt>")
    @answered(open311_error)
    def open311_services(self, request: Request, fmt: str) -> Response:
        return open311_answer(checked_format(fmt), "services", "service", open311.services_from_labels(self._labels()))

    @route("GET", f"{BASE}/services/<code>.<fmt>")
    @answered(open311_error)
    def open311_service_definition(self, request: Request, code: str, fmt: str) -> Response:
        definition = open311.service_definition(code, self._labels())
        if checked_format(fmt) == "xml":
            return Response(open311.object_xml("service_definition", definition), content_type=XML)
        return json_response(200, definition)

    @route("POST", f"{BASE}/requests.<fmt>")
    @answered(open311_error)
    def open311_report(self, request: Request, fmt: str) -> Response:
        checked_format(fmt)
        caller = self._caller(request, public=False)
        report = once_only(request, open311.report_from_form(single_values(request, "form"), self._labels()))
        try:
            case = self._ask(caller, "cases", "report", "service_request", **report)
        except ValidationFailed as error:
            raise open311.in_form_terms(error) from None
        row = {"service_request_id": case["case_id"], "service_notice": None, "account_id": None}
        location = f"{BASE}/requests/{case['case_id']}.{fmt}"
        return open311_answer(fmt, "service_requests", "request", [row], 201, {"Location": location})

    @route("GET", f"{BASE}/requests.<fmt>")
    @answered(open311_error)
    def open311_requests(self, request: Request, fmt: str) -> Response:
        checked_format(fmt)
        caller = self._caller(request, public=True)  # one request, counted once, however many calls
        query, labels = single_values(request, "query"), self._labels()
        ids = open311.requested_ids(query)
        if ids is not None:
            cases = [case for case in (self._readable(caller, case_id) for case_id in ids) if case is not None]
        else:
            zone = ZoneInfo(self.config.get("LOCAL_TIMEZONE", "Asia/Shanghai"))
            states = [state["code"] for state in labels["states"]]
            searches = open311.search_arguments(query, states, datetime.now(zone).date(), zone)
            cases = open311.newest_first([self._ask(caller, "cases", "search", "query", **arguments)["items"]
                                          for arguments in searches])
        rows = [open311.request_from_case(case, labels) for case in cases]
        return open311_answer(fmt, "service_requests", "request", rows)

    @route("GET", f"{BASE}/requests/<request_id>.<fmt>")
    @answered(open311_error)
    def open311_request(self, request: Request, request_id: str, fmt: str) -> Response:
        checked_format(fmt)
        case = self._call(request, "cases", "get_case", "service_request_id", public=True, case_id=request_id)
        return open311_answer(fmt, "service_requests", "request", [open311.request_from_case(case, self._labels())])

    def _readable(self, caller: Actor, case_id: str) -> dict | None:
        try:
            return self._ask(caller, "cases", "get_case", "service_request_id", case_id=case_id)
        except (LinliError, RemoteError) as error:
            if has_code(error, *UNREADABLE):
                return None
            raise

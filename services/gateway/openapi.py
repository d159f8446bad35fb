"""The JSON API's OpenAPI 3 document. The inputs the services take are their own schemas, as
the services publish them (cases' `input_schemas`: JSON Schema generated from the marshmallow
classes its RPCs load their input with), so the document cannot drift from what they accept;
the gateway adds its paths, its key and its error answers. `OPERATIONS` is what the routes
are checked against."""

from collections.abc import Mapping
from typing import NamedTuple

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.gateway.schemas import ErrorAnswer
from services.gateway.statuses import STATUSES
from shared.openapi import OPENAPI_VERSION, component_name

API = "/api/v1"
TITLE = "Linli gateway"
ERROR_STATUSES = sorted({status.json for status in STATUSES.values()} | {500})
PATH_ID = {"type": "string", "minLength": 1, "maxLength": 80}


class Operation(NamedTuple):
    method: str
    path: str
    name: str  # the operationId, and the gateway's route method
    summary: str
    service: str  # the service answering it, whose published inputs it takes
    query: str | None = None  # the input component whose properties are the query string
    body: str | None = None  # the input component the JSON body is
    success: int = 200
    in_path: tuple[str, ...] = ()  # taken from the path, so not from the query string


OPERATIONS = [
    Operation("post", f"{API}/cases", "report_case", "Report a case; answered 201 with its Location", "cases",
              body="Report", success=201),
    Operation("get", f"{API}/cases", "search_cases", "Cases under a node, newest first", "cases", query="Search"),
    Operation("get", f"{API}/cases/{{case_id}}", "get_case", "A case with its timeline", "cases",
              in_path=("case_id",)),
    Operation("get", f"{API}/stats/{{node_id}}", "stats", "The three rates, totals and categories of a node", "cases",
              query="Stats", in_path=("node_id",)),
    Operation("get", f"{API}/units/{{unit_id}}/chain", "responsible_chain",
              "Who answers for a place, level by level", "rosters", in_path=("unit_id",)),
    Operation("post", f"{API}/notices", "send_notice", "Send a notice to its audiences; answered 201 with its Location",
              "notifications", body="Notify", success=201),
    Operation("get", f"{API}/notices/{{notice_id}}", "notice_status",
              "A notice with its recipients and its messages counted by state", "notifications",
              in_path=("notice_id",)),
]
#: the services whose published inputs the document takes
PUBLISHING = tuple(dict.fromkeys(op.service for op in OPERATIONS if op.query or op.body))
IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "description": "the same key again (after a timeout, say) gets the first answer, nothing made twice",
                   "schema": {"type": "string", "minLength": 1, "maxLength": 100}}


def build_spec(inputs: Mapping[str, dict], server_url: str = "/") -> dict:
    """The document, with `inputs` (component name → JSON Schema) as the services publish them."""
    spec = APISpec(title=TITLE, version="1", openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin(schema_name_resolver=component_name)],
                   info={"description": "Linli's operations over HTTP for systems that do not speak AMQP. "
                                        "Every request carries its caller's API key in `X-API-Key`."},
                   servers=[{"url": server_url}], security=[{"ApiKey": []}])
    spec.components.security_scheme("ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    spec.components.schema("ErrorAnswer", schema=ErrorAnswer)
    for name, schema in inputs.items():
        spec.components.schema(name, component=schema)
    for op in OPERATIONS:
        parameters = [{"in": "path", "name": name, "required": True, "schema": PATH_ID} for name in op.in_path]
        if op.method == "post":
            parameters.append(IDEMPOTENCY_KEY)
        if op.query:
            parameters += query_parameters(inputs[op.query], skip=op.in_path)
        operation: dict = {"operationId": op.name, "summary": op.summary, "parameters": parameters,
                           "responses": _responses(op.success)}
        if op.body:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{op.body}"}}}}
        spec.path(path=op.path, operations={op.method: operation})
    return spec.to_dict()


def query_parameters(schema: Mapping, skip: tuple[str, ...] = ()) -> list[dict]:
    """An object schema's properties as query parameters (a list as the name repeated)."""
    required = set(schema.get("required") or ())
    parameters = []
    for name, prop in (schema.get("properties") or {}).items():
        if name in skip:
            continue
        parameter = {"in": "query", "name": name, "required": name in required, "schema": prop}
        if prop.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    return parameters


def _responses(success: int) -> dict:
    done: dict = {"description": "done", "content": {"application/json": {"schema": {"type": "object"}}}}
    if success == 201:
        done["headers"] = {"Location": {"description": "where the new resource is read",
                                        "schema": {"type": "string"}}}
    failed = {"description": "an error: its code, message and the fields at fault",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorAnswer"}}}}
    return {str(success): done, **{str(status): failed for status in ERROR_STATUSES}}

"""A service's input schemas as JSON Schema (OpenAPI 3.0 components), generated from the very
marshmallow classes its RPCs load their input with, for a gateway that documents them to
callers over HTTP without importing the service."""

import re
from collections.abc import Mapping
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

OPENAPI_VERSION = "3.0.3"


def component_name(schema: Any) -> str:
    """A nested schema's component name: its class's."""
    return (schema if isinstance(schema, type) else type(schema)).__name__


def input_schemas(named: Mapping[str, type[Schema]]) -> dict[str, dict]:
    """`{name: JSON Schema}` of each schema and every schema nested in it (as
    `#/components/schemas/<name>` references), as OpenAPI 3.0 reads them."""
    spec = APISpec(title="inputs", version="1", openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin(schema_name_resolver=component_name)])
    for name, schema in named.items():
        spec.components.schema(name, schema=schema)
    return ecma_patterns(spec.to_dict()["components"]["schemas"])


def ecma_patterns(document: Any) -> Any:
    """Patterns as OpenAPI reads them (ECMAScript): the services end theirs with `\\Z` (Python's
    end of string), which there is `$`; the service itself still refuses a final newline."""
    if isinstance(document, dict):
        return {k: re.sub(r"\\Z", "$", v) if k == "pattern" and isinstance(v, str) else ecma_patterns(v)
                for k, v in document.items()}
    if isinstance(document, list):
        return [ecma_patterns(item) for item in document]
    return document

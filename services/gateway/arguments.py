"""Query strings to RPC arguments, typed by the input schema the service publishes (JSON
Schema): a query string carries only text, while the services take integers, booleans and
lists strictly. Values that do not read as their type are passed on as given, so the service
refuses them naming the field. Pure."""

import re
from collections.abc import Mapping

WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")
TRUE, FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


def from_query(schema: Mapping, query: Mapping[str, list[str]]) -> dict:
    """`query`: each name with the values it was given (an array property takes them all, any
    other its last one). Names the schema does not know stay, for the service to refuse."""
    properties = schema.get("properties") or {}
    arguments: dict = {}
    for name, values in query.items():
        prop = properties.get(name) or {}
        if prop.get("type") == "array":
            arguments[name] = [_typed(prop.get("items") or {}, value) for value in values]
        elif values:
            arguments[name] = _typed(prop, values[-1])
    return arguments


def _typed(prop: Mapping, value: str) -> object:
    kind = prop.get("type")
    if kind == "integer" and WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value)
    if kind == "boolean" and value.lower() in TRUE | FALSE:
        return value.lower() in TRUE
    return value

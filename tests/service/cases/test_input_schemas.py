"""`input_schemas`: the JSON Schemas of what `report`, `search` and `stats` take, generated from
the schemas those RPCs load their input with, for the gateway's OpenAPI document."""

import json
import re

import pytest

from tests.service.street import KANG


def test_the_schemas_name_reports_searches_and_stats_with_their_nested_parts(service_as):
    schemas = service_as(KANG).input_schemas()
    assert set(schemas) == {"Report", "Reporter", "Search", "Stats"}
    assert set(schemas["Report"]["required"]) == {"channel", "reporter", "unit_id", "category", "description"}
    assert schemas["Report"]["properties"]["reporter"] == {"$ref": "#/components/schemas/Reporter"}
    assert schemas["Report"]["additionalProperties"] is False
    assert schemas["Search"]["properties"]["limit"]["maximum"] == 200


def test_patterns_are_ecmascript_and_still_refuse_what_the_service_refuses(service_as):
    schemas = service_as(KANG).input_schemas()
    assert "\\Z" not in json.dumps(schemas)
    phone = re.compile(schemas["Reporter"]["properties"]["phone"]["pattern"])  # `$` reads alike in Python
    category = re.compile(schemas["Report"]["properties"]["category"]["pattern"])
    assert phone.search("13900001111") and phone.search("0731-84567890")
    assert not phone.search("1390000111") and not phone.search("phone 13900001111")
    assert category.search("drains") and not category.search("Drains!")


@pytest.mark.parametrize("given", [{"names": ["Report"]}, {"": 1}])
def test_it_takes_no_arguments(service_as, given):
    with pytest.raises(Exception) as refused:
        service_as(KANG).input_schemas(**given)
    assert refused.value.code == "invalid"

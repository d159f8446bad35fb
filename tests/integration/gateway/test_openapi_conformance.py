"""schemathesis against the gateway's own OpenAPI document, served by the running gateway:
generated requests, valid and invalid, for every operation, each answer checked against the
document: no server error, every status, content type, header and body as documented."""

import itertools
from collections import Counter

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

EXAMPLES = 30  # per operation and mode (valid data, and data the document refuses)
#: data the document allows can still be refused by the services (a unit id that does not
#: exist, a period of more than ten years): its answer is checked, not its acceptance
EXCLUDED = [checks.positive_data_acceptance]


def test_every_answer_to_generated_requests_conforms_to_the_document(documented_gateway_url, office_key):
    gateway_url = documented_gateway_url
    document = requests.get(f"{gateway_url}/api/v1/openapi.json", timeout=20).json()
    schema = schemathesis.openapi.from_dict(document)
    tried: Counter = Counter()
    statuses: Counter = Counter()
    for result, mode in itertools.product(schema.get_all_operations(), GenerationMode):
        tried[f"{result.ok().label} ({mode.value})"] = examples(result.ok(), mode, gateway_url, office_key, statuses)
    print(f"schemathesis: {sum(tried.values())} cases over {len(tried)} operations and modes {dict(tried)}; "
          f"statuses {dict(sorted(statuses.items()))}")
    operations = sum(len(methods) for methods in document["paths"].values())
    assert len(tried) == operations * len(GenerationMode)
    assert min(tried.values()) >= 5
    assert not any(status >= 500 for status in statuses)


def examples(operation, mode: GenerationMode, base_url: str, key: str, statuses: Counter) -> int:
    """Generated requests of one operation in one mode, each answer validated; how many."""
    count = 0

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case):
        nonlocal count
        count += 1
        response = case.call_and_validate(base_url=base_url, headers={"X-API-Key": key}, excluded_checks=EXCLUDED,
                                          timeout=20)
        statuses[response.status_code] += 1

    call()
    return count

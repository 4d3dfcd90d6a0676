"""Property-based attack on the API from its own OpenAPI document (schemathesis), with every kind of credential.

Every operation is called with generated requests, ones that fit the document and ones that break it, each
once per role and once without a token; every answer must be no server error and must match what the
document says of its status (body included). The run is bounded (examples per operation) to fit in ``make test``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campaigns.auth import create_api_client
from campaigns.choices import ApiRole

# A deeper run by hand: SCHEMATHESIS_EXAMPLES=1000 .venv/bin/pytest tests/test_api_schemathesis.py
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "50"))
# No server error, and every answer as documented: its status, its content type, its headers and its body.
# (Whether a schema-valid request is accepted is not checked: rules between fields, such as end_time after
# start_time, are beyond what the document can say, and are described in it instead.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db: None) -> Iterator[schemathesis.schemas.BaseSchema]:
    """The served document, called in-process through the WSGI application, inside the test's transaction.

    As Django's test client does, the requests keep the test's database connection open between them.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def credentials(db: None) -> dict[str, dict[str, str]]:
    """The Authorization header of every role, and none."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ApiRole.values:
        _, token = create_api_client(name=f"schemathesis-{role}", role=role)
        headers[role] = {"Authorization": f"Token {token}"}
    return headers


def test_no_operation_fails_or_answers_outside_its_document(api_schema, credentials):
    failures: dict[str, str] = {}
    calls: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode)))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def attack(case: Any) -> None:
            for headers in credentials.values():
                case.call_and_validate(headers=headers, checks=CHECKS)
                calls.append(case.operation.label)

        try:
            attack()
        except (Exception, BaseExceptionGroup) as failure:  # every failing operation is reported
            failures[operation.label] = str(failure)[:3000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    print(f"schemathesis: {len(calls)} requests over {len(operations)} operations, no failure")
    assert len(calls) >= len(operations) * len(credentials) * EXAMPLES_PER_OPERATION // 2


def test_every_request_example_in_the_document_is_accepted_as_it_stands(manager):
    """What the docs page's "Try it out" sends: the examples must work, not only look right."""
    document = manager.get("/api/v1/schema/?format=json").json()
    tried = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name, example in content.get("examples", {}).items():
                response = manager.generic(method.upper(), path, json.dumps(example["value"]), "application/json")
                assert response.status_code < 300, (path, name, response.content)
                tried.append((path, name))
    assert {path for path, _ in tried} >= {"/api/v1/contacts/", "/api/v1/campaigns/", "/api/v1/dnc/"}


def test_the_document_states_every_answer_an_operation_gives(manager):
    document = manager.get("/api/v1/schema/?format=json").json()
    contacts = document["paths"]["/api/v1/contacts/"]["post"]
    assert {"200", "201", "400", "401", "403", "409", "413", "415", "503"} <= set(contacts["responses"])
    error = contacts["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    body = contacts["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert body[0] == {"$ref": "#/components/schemas/ContactInput"}
    assert (body[1]["minItems"], body[1]["maxItems"]) == (1, 10_000)
    assert "404" in document["paths"]["/api/v1/campaigns/{campaign_id}/start/"]["post"]["responses"]
    contact = document["components"]["schemas"]["Contact"]["properties"]["dialing_mode"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in contact["oneOf"]
    assert document["components"]["schemas"]["Campaign"]["properties"]["name"]["minLength"] == 1
    assert len(document["components"]["schemas"]["AgentUpdate"]["anyOf"]) == 3

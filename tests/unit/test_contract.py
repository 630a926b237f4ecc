"""The served OpenAPI document is complete: every route, status, schema, scheme and event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.api._contract import OPERATIONS, contract_document
from service.api._examples import request_examples, response_example
from service.api._schemas import STREAM_EVENT_MODELS
from service.api.app import create_app
from service.llm import FakeChatModel
from service.settings import Settings
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(Settings(embedded_model="off"), use_model=False)
    return contract_document(app.openapi_schema.to_schema())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


def test_every_route_has_a_contract_and_a_route_without_one_is_an_error(
    document: dict[str, Any],
) -> None:
    served = {(method, path) for method, path, _ in operations(document)}
    assert served == set(OPERATIONS)
    app = create_app(Settings(embedded_model="off"), use_model=False)
    generated = app.openapi_schema.to_schema()
    generated["paths"]["/v1/undeclared"] = {"post": {"responses": {}}}
    with pytest.raises(KeyError, match="/v1/undeclared"):
        contract_document(generated)


def test_every_error_status_is_problem_json_with_its_status(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            assert list(response["content"]) == [PROBLEM], (method, path, status)
            schema = response["content"][PROBLEM]["schema"]
            assert schema["allOf"][0] == {"$ref": "#/components/schemas/Problem"}
            assert schema["allOf"][1]["properties"]["status"]["const"] == int(status)
        if path.startswith("/v1/") and method == "post":
            assert {"400", "401", "403", "413", "415", "422", "429", "503"} <= set(op["responses"])
    assert "Retry-After" in document["paths"]["/v1/rewrites"]["post"]["responses"]["429"]["headers"]
    feedback = document["paths"]["/v1/feedback"]["post"]["responses"]
    assert "404" in feedback  # an id not issued to this key


def test_security_schemes_and_who_needs_a_key(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert (schemes["apiKeyHeader"]["in"], schemes["apiKeyHeader"]["name"]) == (
        "header",
        "X-API-Key",
    )
    paths = document["paths"]
    required = [{"bearerAuth": []}, {"apiKeyHeader": []}]
    assert paths["/v1/rewrites"]["post"]["security"] == required
    assert paths["/v1/rewrite-batches/{batch_id}"]["get"]["security"] == required
    assert paths["/v1/rules"]["get"]["security"] == [{}, *required]  # public, key optional
    assert paths["/health/live"]["get"]["security"] == []


def test_request_schemas_are_strict_and_closed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("RewriteRequest", "AnalyzeRequest", "Context", "Prospect", "History", "Sender"):
        assert schemas[name]["additionalProperties"] is False, name
    variants = schemas["RewriteOptions"]["properties"]["variants"]
    assert (variants["type"], variants["minimum"], variants["maximum"]) == ("integer", 1, 3)
    touches = schemas["History"]["properties"]["touches_since_reply"]["anyOf"][0]
    assert (touches["type"], touches["minimum"]) == ("integer", 0)


def test_the_rewrite_stream_is_described(document: dict[str, Any]) -> None:
    ok = document["paths"]["/v1/rewrites"]["post"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RewriteResponse"
    }
    stream = ok["content"]["text/event-stream"]
    assert set(stream["x-events"]) == {"strategy", "delta", "result", "problem"}
    for ref in stream["x-events"].values():
        assert (
            ref["$ref"].removeprefix("#/components/schemas/") in document["components"]["schemas"]
        )
    assert "links" in ok  # stateful testing: rewrite id -> feedback


def test_examples_are_valid_for_their_models(document: dict[str, Any]) -> None:
    for (method, path), contract in OPERATIONS.items():
        example = response_example(method, path)
        assert example is not None, (method, path)
        contract.model.model_validate(example)
        if contract.body is not None and (named := request_examples(method, path)):
            for item in named.values():
                contract.body.model_validate(item["value"], strict=True)


async def test_the_served_document_is_the_contract_and_events_match_it() -> None:
    app = create_app(Settings(embedded_model="off"), model=FakeChatModel([GOOD_ANSWER]))
    body = {"draft": {"channel": "email", "body": PUSHY_DRAFT}, "context": DANA_CONTEXT}
    async with AsyncTestClient(app=app) as client:
        served = (await client.get("/schema/openapi.json")).json()
        stream = await client.post(
            "/v1/rewrites", json=body, headers={"Accept": "text/event-stream"}
        )
    assert served == contract_document(app.openapi_schema.to_schema())
    names = []
    for block in stream.text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            names.append(fields["event"])
            STREAM_EVENT_MODELS[fields["event"]].model_validate(json.loads(fields["data"]))
    assert names[0] == "strategy"
    assert names[-1] == "result"
    assert set(names[1:-1]) == {"delta"}

"""The OpenAPI document is the contract: every operation's statuses, schemas, auth and examples.

Litestar generates the skeleton (paths, operation ids, summaries, parameters);
`contract_document` completes it from the table below:

- component schemas are pydantic's own JSON Schema of the models the handlers
  validate and return (so constraints, strict types and `additionalProperties:
  false` say exactly what the validators do);
- every status an operation can answer, each error as `application/problem+json`
  (with its `Retry-After`, `RateLimit-*` or `WWW-Authenticate` header);
- the security schemes (Bearer and `X-API-Key`) and which operations need them,
  read from the same route table the middleware enforces (`security.policy_for`);
- the server-sent events of `POST /v1/rewrites`; links for stateful testing.

A route without an entry here makes `contract_document` raise: the served
document can never silently omit an operation (tests/unit/test_contract.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from service.api._examples import request_examples, response_example
from service.api._schemas import (
    STREAM_EVENT_MODELS,
    BatchCreated,
    BatchStatus,
    FeedbackCreated,
    Live,
    Problem,
    Ready,
    RulesCatalogue,
    StrategiesCatalogue,
)
from service.api.feedback import FeedbackRequest
from service.batches import BatchRequest
from service.errors import PROBLEM_JSON, TITLES
from service.models import Analysis, AnalyzeRequest, RewriteRequest, RewriteResponse
from service.security import policy_for

REF = "#/components/schemas/{model}"
_Refs = dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]
SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer tk_<id>_<secret>` (from `tactful keys create`).",
    },
    "apiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same key in `X-API-Key`, for clients that cannot set Authorization.",
    },
}
KEY_REQUIRED: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
KEY_OPTIONAL: list[dict[str, list[str]]] = [{}, *KEY_REQUIRED]

_COUNT = {"type": "string", "pattern": "^[0-9]+$"}
HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": _COUNT},
    "RateLimit-Limit": {"description": "The burst this limit allows.", "schema": _COUNT},
    "RateLimit-Remaining": {"description": "Requests left in the burst.", "schema": _COUNT},
    "RateLimit-Reset": {"description": "Seconds until the burst is full.", "schema": _COUNT},
    "WWW-Authenticate": {"description": 'Always `Bearer realm="tactful"`.', "schema": {}},
    "X-Request-ID": {"description": "This request's id (also in the logs).", "schema": {}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Location": {"description": "The new batch's status URL.", "schema": {"type": "string"}},
}
_LIMITED = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")

PROBLEMS: dict[int, tuple[str, tuple[str, ...]]] = {
    400: (
        "The body is not JSON, nests deeper than the server allows, or a header is malformed "
        "(`Idempotency-Key`).",
        _LIMITED,
    ),
    401: (
        "No API key, a malformed one, or one this server does not know.",
        ("WWW-Authenticate",),
    ),
    403: ("The key was revoked, or lacks the scope this operation needs.", ()),
    404: ("No such resource for this API key (unknown, expired, or another key's).", _LIMITED),
    409: ("A request with this `Idempotency-Key` is still running.", _LIMITED),
    413: ("The request body is larger than the server accepts.", _LIMITED),
    415: ("The body was not sent as `Content-Type: application/json`.", ()),
    422: (
        "A field is invalid (each one in `errors`), or the `Idempotency-Key` was used "
        "with a different request.",
        _LIMITED,
    ),
    429: ("Rate limit exceeded; retry after `Retry-After` seconds.", ("Retry-After", *_LIMITED)),
    503: (
        "A dependency is down (the key store, Redis for feedback and batches); retry after "
        "`Retry-After` seconds when given.",
        ("Retry-After",),
    ),
}
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Run once: a retry with the same key and request gets the stored answer "
    "(24 h); the same key with another request is 422, while the first runs 409.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}
_BODY_ERRORS = (400, 401, 403, 413, 415, 422, 429, 503)


@dataclass(frozen=True, slots=True)
class Contract:
    """What one operation takes and answers."""

    status: int
    model: type[BaseModel]
    problems: tuple[int, ...]
    body: type[BaseModel] | None = None
    description: str = "Success."
    headers: tuple[str, ...] = ()
    idempotent: bool = False
    stream: bool = False
    links: dict[str, dict[str, Any]] = field(default_factory=dict)


OPERATIONS: dict[tuple[str, str], Contract] = {
    ("post", "/v1/analyze"): Contract(200, Analysis, _BODY_ERRORS, AnalyzeRequest, "The analysis."),
    ("post", "/v1/rewrites"): Contract(
        200,
        RewriteResponse,
        (*_BODY_ERRORS, 409),
        RewriteRequest,
        "The checked rewrite (JSON), or its server-sent events with `Accept: text/event-stream`.",
        idempotent=True,
        stream=True,
        links={
            "FeedbackOnThisRewrite": {
                "operationId": "CreateFeedback",
                "requestBody": {"rewrite_id": "$response.body#/id", "outcome": "accepted"},
                "description": "Feedback on the rewrite just issued to this key.",
            }
        },
    ),
    ("post", "/v1/feedback"): Contract(
        201,
        FeedbackCreated,
        (*_BODY_ERRORS, 404, 409),
        FeedbackRequest,
        "Stored durably.",
        idempotent=True,
    ),
    ("post", "/v1/rewrite-batches"): Contract(
        202,
        BatchCreated,
        (*_BODY_ERRORS, 409),
        BatchRequest,
        "Queued.",
        headers=("Location",),
        idempotent=True,
        links={
            "BatchProgress": {
                "operationId": "GetBatch",
                "parameters": {"batch_id": "$response.body#/id"},
                "description": "The progress of the batch just queued.",
            }
        },
    ),
    ("get", "/v1/rewrite-batches/{batch_id}"): Contract(
        200, BatchStatus, (401, 403, 404, 429, 503), description="Progress and results."
    ),
    ("get", "/v1/rules"): Contract(200, RulesCatalogue, (401, 403, 429, 503), description="Rules."),
    ("get", "/v1/strategies"): Contract(
        200, StrategiesCatalogue, (401, 403, 429, 503), description="Strategies."
    ),
    ("get", "/health/live"): Contract(200, Live, (), description="The process answers."),
    ("get", "/health/ready"): Contract(
        200, Ready, (503,), description="Ready (possibly degraded: see `checks`)."
    ),
}
# Stable ids the links above refer to (Litestar's generated ones follow handler names).
OPERATION_IDS = {
    ("post", "/v1/feedback"): "CreateFeedback",
    ("get", "/v1/rewrite-batches/{batch_id}"): "GetBatch",
}


def contract_document(generated: dict[str, Any]) -> dict[str, Any]:
    """The served document: Litestar's skeleton completed from `OPERATIONS`."""
    doc = copy.deepcopy(generated)
    bodies = {key: c.body for key, c in OPERATIONS.items() if c.body is not None}
    refs, schemas = _schemas(bodies)
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            contract = OPERATIONS.get((method, path))
            if contract is None:
                raise KeyError(f"{method.upper()} {path} has no entry in api/_contract.py")
            _complete(op, method, path, contract, refs, bodies.get((method, path)))
    doc["components"] = {
        "schemas": schemas,
        "securitySchemes": SECURITY_SCHEMES,
    }
    return doc


def _schemas(bodies: dict[tuple[str, str], type[BaseModel]]) -> tuple[_Refs, dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in bodies.values()
    ]
    wanted += [(c.model, "serialization") for c in OPERATIONS.values()]
    wanted += [(m, "serialization") for m in STREAM_EVENT_MODELS.values()]
    wanted = list(dict.fromkeys(wanted))
    found, defs = models_json_schema(wanted, ref_template=REF)
    refs = {(model, mode): ref for (model, mode), ref in found.items() if isinstance(model, type)}
    return cast(_Refs, refs), dict(defs.get("$defs", {}))


def _complete(
    op: dict[str, Any],
    method: str,
    path: str,
    contract: Contract,
    refs: _Refs,
    body: type[BaseModel] | None,
) -> None:
    if (method, path) in OPERATION_IDS:
        op["operationId"] = OPERATION_IDS[(method, path)]
    policy = policy_for(method.upper(), path)
    op["security"] = [] if policy is None else KEY_OPTIONAL if policy.public else KEY_REQUIRED
    if body is not None:
        content: dict[str, Any] = {"schema": refs[(body, "validation")]}
        if examples := request_examples(method, path):
            content["examples"] = examples
        op["requestBody"] = {"required": True, "content": {"application/json": content}}
    if contract.idempotent:
        op["parameters"] = [*op.get("parameters", []), IDEMPOTENCY_KEY]
    success: dict[str, Any] = {"schema": refs[(contract.model, "serialization")]}
    if (example := response_example(method, path)) is not None:
        success["example"] = example
    ok_headers = (*contract.headers, "X-Request-ID") + (_LIMITED if policy else ())
    if contract.idempotent:
        ok_headers += ("Idempotent-Replayed",)
    responses: dict[str, Any] = {
        str(contract.status): {
            "description": contract.description,
            "headers": {name: HEADERS[name] for name in ok_headers},
            "content": {"application/json": success},
            **({"links": contract.links} if contract.links else {}),
        }
    }
    if contract.stream:
        responses[str(contract.status)]["content"]["text/event-stream"] = _event_stream(refs)
    for status in sorted(contract.problems):
        responses[str(status)] = _problem(status)
    op["responses"] = responses


def _problem(status: int) -> dict[str, Any]:
    description, headers = PROBLEMS[status]
    return {
        "description": description,
        "headers": {name: HEADERS[name] for name in headers},
        "content": {
            PROBLEM_JSON: {
                "schema": {
                    "allOf": [
                        {"$ref": REF.format(model="Problem")},
                        {"properties": {"status": {"const": status}}},
                    ]
                },
                "example": {
                    "type": "about:blank",
                    "title": TITLES[status],
                    "status": status,
                    "detail": description,
                },
            }
        },
    }


def _event_stream(
    refs: dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]],
) -> dict[str, Any]:
    events = {name: refs[(model, "serialization")] for name, model in STREAM_EVENT_MODELS.items()}
    return {
        "schema": {
            "type": "string",
            "description": (
                "Server-sent events, each `event: <name>` then `data: <one JSON object>`. "
                "In order: one `strategy` (the strategy chosen), zero or more `delta` (the "
                "next piece of the message body: only text that may be shown), then exactly "
                "one `result` (the complete checked response, as the JSON mode returns it, "
                "plus `replaced_streamed_text`). If the stream cannot finish, its last event "
                "is `problem` (a problem document) instead of `result`. The data schema of "
                "each event is in `x-events`."
            ),
        },
        "x-events": events,
        "example": (
            'event: strategy\ndata: {"id": "value_nudge", "reason": "..."}\n\n'
            'event: delta\ndata: {"text": "Hi Dana, "}\n\n'
            'event: result\ndata: {"id": "rw_...", "replaced_streamed_text": false}\n\n'
        ),
    }


__all__ = ["OPERATIONS", "Problem", "contract_document"]

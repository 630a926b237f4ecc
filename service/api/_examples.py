"""Examples for the OpenAPI document, computed by the real analyzer so they never drift.

Request examples are sent as-is by the contract run (schemathesis' examples
phase), so each one must be accepted; response examples are built through the
same models the handlers return, so each one validates against its schema.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from service.analysis import RULES, analyze
from service.budget import budget_for
from service.editor import suggest
from service.models import (
    Context,
    Message,
    RewriteOptions,
    RewriteResponse,
    StrategyChoice,
    Usage,
)
from service.strategies import catalogue

_DRAFT = {
    "channel": "email",
    "subject": "Following up",
    "body": (
        "Hi Dana, I have reached out three times and heard nothing. Just checking in again. "
        "This offer expires Friday, are you ready to move forward?"
    ),
}
_CONTEXT = {
    "prospect": {"name": "Dana Miles", "company": "Miles Outfitters", "role": "Ops lead"},
    "goal": "keep stock balanced across three new stores",
    "notes": "Met at the retail expo; weekly transfers between stores eat her Mondays.",
    "history": {"touches_since_reply": 3, "days_since_reply": 21, "stage": "proposal_sent"},
    "sender": {"name": "Chris", "company": "Stockwise", "offer": "inventory planning"},
}
_REWRITE = (
    "Hi Dana,\n\nYou mentioned that weekly transfers between stores eat your Mondays. A "
    "reorder point per store means transfers happen only when a shelf runs low.\n\n"
    "Would a one-page sketch of that for your three stores be useful?\n\nChris"
)


def request_examples(method: str, path: str) -> dict[str, Any] | None:
    """Named request examples for an operation (each one a request the server accepts)."""
    rewrite = {"draft": _DRAFT, "context": _CONTEXT, "options": {"variants": 1}}
    found: dict[tuple[str, str], dict[str, Any]] = {
        ("post", "/v1/analyze"): {"draft": _DRAFT, "context": _CONTEXT},
        ("post", "/v1/rewrites"): rewrite,
        ("post", "/v1/rewrite-batches"): {"items": [rewrite]},
    }
    value = found.get((method, path))
    return None if value is None else {"pushy_follow_up": {"value": value}}


def response_example(method: str, path: str) -> Any:
    """The success answer's example for an operation, or None."""
    examples: dict[tuple[str, str], Any] = {
        ("post", "/v1/analyze"): _analysis,
        ("post", "/v1/rewrites"): _rewrite,
        ("post", "/v1/feedback"): lambda: {"id": "1718000000000-0", "status": "stored"},
        ("post", "/v1/rewrite-batches"): lambda: {
            "id": "bt_" + "0" * 32,
            "status": "queued",
            "total": 1,
            "links": {"self": "/v1/rewrite-batches/bt_" + "0" * 32},
        },
        ("get", "/v1/rewrite-batches/{batch_id}"): _batch,
        ("get", "/v1/rules"): lambda: {"rules": [r.model_dump(mode="json") for r in RULES[:2]]},
        ("get", "/v1/strategies"): lambda: {
            "strategies": [s.model_dump(mode="json") for s in catalogue()[:2]]
        },
        ("get", "/health/live"): lambda: {"status": "ok"},
        ("get", "/health/ready"): lambda: {
            "status": "ok",
            "checks": {"model": "none", "redis": "ok"},
        },
    }
    build = examples.get((method, path))
    return None if build is None else build()


@cache
def _analysis() -> dict[str, Any]:
    draft, context = Message.model_validate(_DRAFT), Context.model_validate(_CONTEXT)
    result = analyze(draft, context=context, budget=budget_for(draft.channel, None))
    suggested = suggest(draft, result, context=context, strategy=result.strategy)
    dumped: dict[str, Any] = suggested.model_dump(mode="json")
    return dumped


@cache
def _rewrite() -> dict[str, Any]:
    draft, context = Message.model_validate(_DRAFT), Context.model_validate(_CONTEXT)
    budget = budget_for(draft.channel, RewriteOptions())
    rewrite = Message(channel="email", subject="An idea for the three new stores", body=_REWRITE)
    before = analyze(draft, context=context, budget=budget)
    after = analyze(rewrite, context=context, budget=budget)
    response = RewriteResponse(
        id="rw_" + "0" * 32,
        strategy=StrategyChoice(id="value_nudge", reason="Three touches without a reply."),
        rewrite=rewrite,
        variants=[rewrite],
        changes=[],
        before=before,
        after=after,
        verdict="rewritten",
        source="editor",
        model="none",
        prompt_version="example",
        usage=Usage(),
        latency_ms=3.2,
    )
    dumped: dict[str, Any] = response.model_dump(mode="json")
    return dumped


def _batch() -> dict[str, Any]:
    return {
        "id": "bt_" + "0" * 32,
        "status": "completed",
        "total": 1,
        "completed": 1,
        "succeeded": 1,
        "failed": 0,
        "created_at": "2025-01-01T00:00:00Z",
        "finished_at": "2025-01-01T00:00:01Z",
        "results": [{"index": 0, "status": "succeeded", "response": _rewrite()}],
    }

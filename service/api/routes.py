"""HTTP routes: parse, call the pipeline, shape the response. No business logic here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage

from service.analysis import RULES, analyze
from service.api._memo import AnalyzeMemoMiddleware
from service.budget import resolve_budget
from service.models import Analysis, AnalyzeRequest, RewriteRequest, RewriteResponse
from service.observability import DEGRADED_MODEL_STATES, model_checks
from service.pipeline import Rewriter
from service.strategies import catalogue


def provide_rewriter(state: State) -> Rewriter:
    rewriter: Rewriter = state.rewriter
    return rewriter


class V1(Controller):
    path = "/v1"
    tags = ["v1"]  # noqa: RUF012 - litestar reads a plain list

    @post(
        "/analyze",
        status_code=200,
        sync_to_thread=False,
        summary="Score and lint a draft",
        # A repeated body is answered from a per-process memo (service/api/_memo.py).
        middleware=[AnalyzeMemoMiddleware],
    )
    def analyze_draft(self, data: JSONBody[AnalyzeRequest]) -> Analysis:
        """Deterministic, no model: cheap enough to call on every keystroke pause."""
        options = data.options
        budget = resolve_budget(
            data.draft.channel,
            max_words=options.max_words if options else None,
            max_chars=options.max_chars if options else None,
        )
        return analyze(data.draft, context=data.context, original=data.original, budget=budget)

    @post(
        "/rewrites",
        status_code=200,
        summary="Rewrite a draft (JSON, or text/event-stream with Accept)",
    )
    async def create_rewrite(
        self,
        data: JSONBody[RewriteRequest],
        request: Request[Any, Any, Any],
        rewriter: NamedDependency[Rewriter],
    ) -> Response[Any]:
        if "text/event-stream" in request.headers.get("accept", ""):
            return ServerSentEvent(_sse(rewriter.rewrite_stream(data)))
        result: RewriteResponse = await rewriter.rewrite(data)
        return Response(result)

    @get("/rules", sync_to_thread=False, summary="The analyzer's rule catalogue")
    def rules(self) -> dict[str, Any]:
        return {"rules": [rule.model_dump(mode="json") for rule in RULES]}

    @get("/strategies", sync_to_thread=False, summary="The follow-up strategies")
    def strategies(self) -> dict[str, Any]:
        return {"strategies": [s.model_dump(mode="json") for s in catalogue()]}


async def _sse(events: AsyncIterator[Any]) -> AsyncIterator[ServerSentEventMessage]:
    async for event in events:
        yield ServerSentEventMessage(
            event=event.event, data=json.dumps(event.data, ensure_ascii=False)
        )


@get("/health/live", sync_to_thread=False, include_in_schema=True, tags=["health"])
def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", tags=["health"])
async def ready(state: State) -> Response[dict[str, Any]]:
    # "ok" | "none" | "unreachable" | "failing" (recent calls failed, breaker state alongside);
    # the composer still serves in every case.
    model = getattr(getattr(state, "runtime", None), "model", None)
    checks = await model_checks(state.model_status, model, getattr(state, "model_probe", None))
    ok = state.model_status in {"ok", "none"}
    # Redis down is "degraded" but still 200: rewrites keep working without it (cache off,
    # per-process limits), so pulling every replica out of the load balancer would be worse.
    shared = getattr(state, "shared", None)
    checks["redis"] = await shared.ping() if shared is not None else "memory"
    degraded = not ok or checks["redis"] == "down" or checks["model"] in DEGRADED_MODEL_STATES
    return Response(
        {"status": "degraded" if degraded else "ok", "checks": checks},
        status_code=200 if ok else 503,
    )

"""POST /v1/analyze: score and lint a draft."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from service.analysis import analyze
from service.api._memo import AnalyzeMemoMiddleware
from service.budget import budget_for
from service.editor import suggest
from service.models import Analysis, AnalyzeRequest
from service.offload import run_cpu_bound, text_size


class AnalyzeController(Controller):
    """The analyzer over HTTP."""

    path = "/v1"
    tags = ["v1"]  # noqa: RUF012 - litestar reads a plain list

    @post(
        "/analyze",
        status_code=200,
        summary="Score and lint a draft",
        # A repeated body is answered from a per-process memo (service/api/_memo.py).
        middleware=[AnalyzeMemoMiddleware],
    )
    async def analyze_draft(self, data: JSONBody[AnalyzeRequest]) -> Analysis:
        """Deterministic, no model: cheap enough to call on every keystroke pause.

        A large request is analyzed in a bounded worker thread (service/offload.py)
        so the event loop keeps answering while it runs.
        """
        size = text_size(data.draft, data.context, data.original)
        return await run_cpu_bound(lambda: _analyze(data), size=size)


def _analyze(data: AnalyzeRequest) -> Analysis:
    budget = budget_for(data.draft.channel, data.options)
    result = analyze(data.draft, context=data.context, original=data.original, budget=budget)
    # One-click fixes (the editor's own cuts) on every finding that has one.
    return suggest(data.draft, result, context=data.context, strategy=result.strategy)

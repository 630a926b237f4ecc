"""The one typed runtime the app keeps in its state, and the dependencies read from it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State

from service.batches import BatchService
from service.observability import ModelProbe, metrics
from service.pipeline import Rewriter
from service.runtime import Runtime
from service.store import FeedbackStore, RewriteOwners, SharedState, StoreUnavailable

_log = logging.getLogger("tactful.api")


@dataclass(slots=True)
class AppRuntime:
    """What the handlers use, opened by the lifespan (`app.state.runtime`)."""

    runtime: Runtime
    feedback: FeedbackStore | None
    batches: BatchService | None
    model_probe: ModelProbe | None
    # Who each issued rewrite id belongs to (feedback is accepted from its owner only).
    owners: RewriteOwners

    @property
    def rewriter(self) -> Rewriter:
        """The process's pipeline."""
        return self.runtime.rewriter

    @property
    def shared(self) -> SharedState:
        """The process's Redis pool (or memory mode)."""
        return self.runtime.shared

    @property
    def model_status(self) -> str:
        """Either "ok" with a model, or "none" when the composer writes every message."""
        return "ok" if self.runtime.model is not None else "none"


def provide_app_runtime(state: State) -> AppRuntime:
    """The runtime the lifespan stored (handlers ask for `app_runtime`)."""
    app_runtime: AppRuntime = state.runtime
    return app_runtime


def provide_rewriter(state: State) -> Rewriter:
    """The pipeline (handlers ask for `rewriter`)."""
    return provide_app_runtime(state).rewriter


def caller(request: Request[Any, Any, Any]) -> str:
    """The tenant the security middleware identified: "key:<id>", or "ip:<addr>" keyless."""
    principal = request.scope.get("state", {}).get("tactful.principal")
    subject = getattr(principal, "subject", None)
    return subject if isinstance(subject, str) else "anonymous"


async def record_owner(app_runtime: AppRuntime, rewrite_id: str, owner: str) -> None:
    """Remember who `rewrite_id` was issued to; best effort (Redis down: the rewrite is still
    served, and feedback on it will be refused as unknown).
    """
    try:
        await app_runtime.owners.record(rewrite_id, owner)
    except StoreUnavailable:
        metrics().store_fallbacks.labels(what="rewrite_owner").inc()
        _log.warning("rewrite owner not recorded (shared state unavailable)")

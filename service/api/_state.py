"""The one typed runtime the app keeps in its state, and the dependencies read from it."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import State

from service.batches import BatchService
from service.observability import ModelProbe
from service.pipeline import Rewriter
from service.runtime import Runtime
from service.store import FeedbackStore, SharedState


@dataclass(slots=True)
class AppRuntime:
    """What the handlers use, opened by the lifespan (`app.state.runtime`)."""

    runtime: Runtime
    feedback: FeedbackStore | None
    batches: BatchService | None
    model_probe: ModelProbe | None

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

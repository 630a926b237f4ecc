"""The shapes of the answers that are not domain models: problems, receipts, catalogues, health.

These models are the response schemas of the OpenAPI document (`_contract.py`);
the handlers build their dicts to the same shapes, and the contract run
(schemathesis, `make contract`) fails if one drifts from the other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.analysis import RuleInfo
from service.models import RewriteResponse, StrategyChoice
from service.strategies import StrategyInfo


class FieldError(BaseModel):
    """One invalid field of a 422."""

    field: str = Field(description="Where: a dotted path into the body, or a header name.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error this API answers, whatever the status."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="Always about:blank: see `status`.")
    title: str = Field(description="The status's short name.")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="What went wrong and what to do about it, for a person.")
    errors: list[FieldError] | None = Field(
        default=None, description="422 only: every invalid field."
    )
    limit: str | None = Field(default=None, description="429 only: the rate limit exceeded.")


class FeedbackCreated(BaseModel):
    """`201` of `POST /v1/feedback`: stored durably before this answer."""

    id: str = Field(description="The stored entry's id (a Redis stream id, or file-mode id).")
    status: Literal["stored"]


class BatchLinks(BaseModel):
    self: str


class BatchCreated(BaseModel):
    """`202` of `POST /v1/rewrite-batches`: queued; poll `links.self` (also in `Location`)."""

    id: str = Field(pattern=r"^bt_[0-9a-f]{32}$")
    status: Literal["queued"]
    total: int = Field(ge=1)
    links: BatchLinks


class BatchItemResult(BaseModel):
    """One finished item: its rewrite, or the type of error after every retry failed."""

    index: int = Field(ge=0)
    status: Literal["succeeded", "failed"]
    response: RewriteResponse | None = None
    error: str | None = None


class BatchStatus(BaseModel):
    """`GET /v1/rewrite-batches/{batch_id}`: progress and every finished item so far."""

    id: str
    status: Literal["queued", "running", "completed"]
    total: int = Field(ge=0)
    completed: int = Field(ge=0)
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)
    created_at: str | None
    finished_at: str | None
    results: list[BatchItemResult]


class RulesCatalogue(BaseModel):
    rules: list[RuleInfo]


class StrategiesCatalogue(BaseModel):
    strategies: list[StrategyInfo]


class Live(BaseModel):
    status: Literal["ok"]


class BreakerState(BaseModel):
    state: Literal["closed", "open", "half_open"]
    consecutive_failures: int = Field(ge=0)
    last_failure: str | None
    retry_in_s: float = Field(ge=0)


class ReadyChecks(BaseModel):
    model: Literal["ok", "none", "unreachable", "failing"]
    redis: Literal["ok", "down", "memory"]
    model_breaker: BreakerState | None = None


class Ready(BaseModel):
    """200 while the replica can serve (also "degraded"); 503 when its model is broken."""

    status: Literal["ok", "degraded"]
    checks: ReadyChecks


class StreamDelta(BaseModel):
    """`event: delta`: the next piece of the message body."""

    text: str


class StreamResult(RewriteResponse):
    """`event: result`: the complete, checked response, as the JSON mode returns it."""

    replaced_streamed_text: bool = Field(
        description="True when the text streamed in `delta` events is not the message "
        "delivered here (the guard refused it and a repair or the editor wrote this one)."
    )


STREAM_EVENT_MODELS: dict[str, type[BaseModel]] = {
    "strategy": StrategyChoice,
    "delta": StreamDelta,
    "result": StreamResult,
    "problem": Problem,
}

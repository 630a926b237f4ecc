"""POST /v1/feedback: what the user did with a rewrite, stored durably before we answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field

from service.api.errors import problem
from service.models import MAX_BODY_CHARS, MAX_FIELD_CHARS, Message, RewriteRequest
from service.store._feedback import FeedbackStore
from service.store._shared import StoreUnavailable


class FeedbackRequest(BaseModel):
    """`request` and `rewrite` are optional, but they turn feedback into a ready eval case."""

    model_config = ConfigDict(extra="forbid")

    rewrite_id: str = Field(min_length=1, max_length=100)
    outcome: Literal["accepted", "edited", "rejected"]
    final_text: str | None = Field(default=None, max_length=MAX_BODY_CHARS)
    reason: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    request: RewriteRequest | None = None
    rewrite: Message | None = None


@post("/v1/feedback", status_code=201, tags=["v1"], summary="Record what happened to a rewrite")
async def create_feedback(
    data: JSONBody[FeedbackRequest], request: Request[Any, Any, Any], state: State
) -> Response[Any]:
    store: FeedbackStore | None = getattr(state, "feedback", None)
    if store is None:
        return problem(
            503, "Feedback storage is not configured: set REDIS_URL or TACTFUL_FEEDBACK_FILE."
        )
    principal = request.scope.get("state", {}).get("tactful.principal")
    entry = {
        **data.model_dump(mode="json", exclude_none=True),
        "api_key_id": getattr(principal, "key_id", None),
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        entry_id = await store.append(entry)
    except (StoreUnavailable, OSError):
        return problem(
            503,
            "Feedback could not be stored; nothing was recorded. Retry shortly.",
            headers={"Retry-After": "2"},
        )
    return Response({"id": entry_id, "status": "stored"}, status_code=201)

"""POST /v1/feedback: what the user did with a rewrite, stored durably before we answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field

from service.api._state import AppRuntime, caller
from service.errors import NotFound, Unavailable
from service.models import MAX_BODY_CHARS, MAX_FIELD_CHARS, Message, RewriteRequest
from service.store import StoreUnavailable


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
    data: JSONBody[FeedbackRequest],
    request: Request[Any, Any, Any],
    app_runtime: NamedDependency[AppRuntime],
) -> Response[Any]:
    """Store the entry (with the caller's key id) and answer with its id.

    Only for a rewrite id issued to this caller within the feedback window: an unknown,
    expired or another tenant's id is the same 404, so the answer reveals nothing.
    """
    feedback = app_runtime.feedback
    if feedback is None:
        raise Unavailable(
            "Feedback storage is not configured: set REDIS_URL or TACTFUL_FEEDBACK_FILE.",
            retry_after_s=None,
        )
    try:
        owner = await app_runtime.owners.owner_of(data.rewrite_id)
    except StoreUnavailable as exc:
        raise Unavailable("Feedback cannot be checked right now; retry shortly.") from exc
    if owner is None or owner != caller(request):
        raise NotFound(
            "No rewrite with this id was issued to this API key, or its feedback window has closed."
        )
    principal = request.scope.get("state", {}).get("tactful.principal")
    entry = {
        **data.model_dump(mode="json", exclude_none=True),
        "api_key_id": getattr(principal, "key_id", None),
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        entry_id = await feedback.append(entry)
    except (StoreUnavailable, OSError) as exc:
        raise Unavailable(
            "Feedback could not be stored; nothing was recorded. Retry shortly."
        ) from exc
    return Response({"id": entry_id, "status": "stored"}, status_code=201)

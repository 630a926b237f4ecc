"""POST /v1/rewrites: a rewrite as JSON, or streamed as server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage

from service.api._state import AppRuntime, caller, record_owner
from service.models import RewriteRequest, RewriteResponse
from service.pipeline import StreamEvent

STREAM_DESCRIPTION = (
    "Every field of the answer (subject, body, each variant and its subject, each "
    "`changes` entry) has passed the guard before it is sent.\n\n"
    "With `Accept: text/event-stream` the answer is a server-sent event stream (CRLF "
    'line endings): `strategy` at once; then `delta` events (`{"text"}`) carrying '
    "only text that has already passed the guard: the model's answer is buffered and "
    "checked (repaired or replaced by the editor if it fails) and the released body "
    "is then sent sentence by sentence, the deltas joining to `result.rewrite.body`; "
    "then exactly one `result` event (the JSON answer, plus `replaced_streamed_text`, "
    "always false). If the rewrite cannot finish, the stream ends with one `problem` "
    "event instead of `result`: an RFC 9457 problem document (`type`, `title`, "
    "`status`, `detail`)."
)


class RewritesController(Controller):
    """The pipeline over HTTP."""

    path = "/v1"
    tags = ["v1"]  # noqa: RUF012 - litestar reads a plain list

    @post(
        "/rewrites",
        status_code=200,
        summary="Rewrite a draft (JSON, or text/event-stream with Accept)",
        description=STREAM_DESCRIPTION,
    )
    async def create_rewrite(
        self,
        data: JSONBody[RewriteRequest],
        request: Request[Any, Any, Any],
        app_runtime: NamedDependency[AppRuntime],
    ) -> Response[Any]:
        """Rewrite; with `Accept: text/event-stream`, stream the body as it is written.

        The caller is the tenant: its cache entries are its own, and the rewrite id is
        recorded as issued to it (feedback on the id is accepted from it alone).
        """
        tenant = caller(request)
        rewriter = app_runtime.rewriter
        if "text/event-stream" in request.headers.get("accept", ""):
            events = rewriter.rewrite_stream(data, tenant=tenant)
            return ServerSentEvent(_sse(events, app_runtime, tenant))
        result: RewriteResponse = await rewriter.rewrite(data, tenant=tenant)
        await record_owner(app_runtime, result.id, tenant)
        return Response(result)


async def _sse(
    events: AsyncIterator[StreamEvent], app_runtime: AppRuntime, tenant: str
) -> AsyncIterator[ServerSentEventMessage]:
    async for event in events:
        if event.event == "result" and isinstance(rewrite_id := event.data.get("id"), str):
            # Recorded before the client sees the id, so feedback can follow at once.
            await record_owner(app_runtime, rewrite_id, tenant)
        yield ServerSentEventMessage(
            event=event.event, data=json.dumps(event.data, ensure_ascii=False)
        )

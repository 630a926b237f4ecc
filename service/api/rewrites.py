"""POST /v1/rewrites: a rewrite as JSON, or streamed as server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage

from service.models import RewriteRequest, RewriteResponse
from service.pipeline import Rewriter, StreamEvent

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
        rewriter: NamedDependency[Rewriter],
    ) -> Response[Any]:
        """Rewrite; with `Accept: text/event-stream`, stream the body as it is written."""
        if "text/event-stream" in request.headers.get("accept", ""):
            return ServerSentEvent(_sse(rewriter.rewrite_stream(data)))
        result: RewriteResponse = await rewriter.rewrite(data)
        return Response(result)


async def _sse(events: AsyncIterator[StreamEvent]) -> AsyncIterator[ServerSentEventMessage]:
    async for event in events:
        yield ServerSentEventMessage(
            event=event.event, data=json.dumps(event.data, ensure_ascii=False)
        )

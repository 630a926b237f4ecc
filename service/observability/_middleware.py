"""Request id, latency histogram and one JSON access line per request.

The request id comes from `X-Request-ID` when it is a sane token (so a
caller's trace id carries through), otherwise a fresh one; it is echoed on
the response and attached to every log line written while the request runs.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from service.observability._logging import request_id_var
from service.observability._metrics import metrics

# Loose ASGI aliases (Litestar's TypedDict unions get in the way of plain middleware).
Scope = Any
Receive = Any
Send = Any
ASGIApp = Any
Message = dict[str, Any]

_log = logging.getLogger("tactful.access")
_RID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1")
            return text if _RID_RE.match(text) else None
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            metrics().http_latency.labels(
                method=scope["method"], route=route, status=str(status)
            ).observe(elapsed)
            state: dict[str, Any] = scope.get("state", {})
            principal = state.get("tactful.principal")
            _log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "key_id": getattr(principal, "key_id", None),
                },
            )
            request_id_var.reset(token)

"""Refuse deeply nested JSON before anything parses it.

A body of a few thousand `[` fits easily under the size limit and makes the
recursive parsers and validators behind the handler raise `RecursionError`
(a 500). No request of ours nests deeper than ~6 levels, so anything past
`max_depth` is answered 400 problem+json.

How: `receive` is wrapped, so the body is checked as the handler (or the
idempotency middleware) reads it, and Litestar's own size limit still applies
first: nothing is buffered here that the app would not buffer anyway. The
refusal is raised as a `ClientException`, which the app's exception handlers
turn into problem+json like every other 400. The check costs two `bytes.count`
calls per body unless it has more brackets than `max_depth`; only then are
strings blanked and the brackets walked (still a few ms for 4 MiB).
"""

from __future__ import annotations

import re

from litestar.exceptions import ClientException

from service.security._asgi import ASGIApp, Message, Receive, Scope, Send

# A JSON string, escapes included (the unrolled form backtracks less than an alternation).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_METHODS = frozenset({"POST", "PUT", "PATCH"})


class JsonTooDeep(ClientException):
    status_code = 400


def json_depth_exceeds(body: bytes, max_depth: int) -> bool:
    """True if the JSON text nests arrays/objects deeper than `max_depth` (strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False  # cannot nest deeper than it has openers: the common case, no scan
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


class JsonDepthMiddleware:
    """ASGI middleware; `max_depth` from `Settings.max_json_depth` (via DefineMiddleware)."""

    def __init__(self, app: ASGIApp, *, max_depth: int) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        await self.app(scope, self._checked(receive), send)

    def _checked(self, receive: Receive) -> Receive:
        parts: list[bytes] = []
        max_depth = self.max_depth

        async def inner() -> Message:
            message: Message = await receive()
            if message["type"] != "http.request":
                return message
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = parts[0] if len(parts) == 1 else b"".join(parts)
                parts.clear()
                if json_depth_exceeds(body, max_depth):
                    raise JsonTooDeep(detail=f"The JSON body nests deeper than {max_depth} levels.")
            return message

        return inner

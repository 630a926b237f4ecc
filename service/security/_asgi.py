"""Tiny ASGI helpers shared by the middlewares (they answer before a handler runs)."""

from __future__ import annotations

import json
from typing import Any

from service.errors import PROBLEM_JSON, problem_document

# Loose ASGI aliases: Litestar's TypedDict unions make plain middleware code
# unreadable under mypy, and these helpers only touch well-known keys.
Scope = Any
Receive = Any
Send = Any
ASGIApp = Any
Message = dict[str, Any]


async def send_problem(
    send: Send, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> None:
    """The same problem+json document the API's handlers send (`service.errors`)."""
    body = json.dumps(problem_document(status, detail, **extra)).encode()
    raw = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def header_map(scope: Scope) -> dict[str, str]:
    """Request headers, lower-cased names; the last value wins (enough for our headers)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def with_headers(message: Message, extra: dict[str, str]) -> Message:
    """A copy of an `http.response.start` message with headers appended."""
    if message["type"] != "http.response.start" or not extra:
        return message
    headers = list(message.get("headers", []))
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    return {**message, "headers": headers}


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def scope_state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out an already-read complete body once, then the client's next
    message (a disconnect): for middleware that had to read the body before the handler.
    """
    sent = False

    async def inner() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Message = await receive()
        return message

    return inner

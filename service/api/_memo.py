"""An in-process memo for `POST /v1/analyze`: the same request bytes, the same answer bytes.

The analysis is a pure, deterministic function of the request body (draft,
context, original, options): the analyzer and its lexicons are loaded once and
never change while the process runs. The browser extension re-sends the same
text on every typing pause and a CRM analyzes one template many times, so a
repeat skips body validation, the analysis and JSON serialization: the memo
stores the encoded `200` response exactly as the handler produced it.

- Keyed on (caller, SHA-256 of the raw body bytes). The caller is part of the
  key so one tenant can never learn from timing whether another analyzed a
  given text; a different spelling of the same JSON is simply another entry.
- Only complete `200` answers are stored. Errors (400/413/422/...) always go
  through the handler, so bad input gets exactly the same problem+json.
- Bounded LRU: `TACTFUL_ANALYZE_MEMO_SIZE` entries (0 disables it) and at most
  `MAX_BYTES` of stored bodies; answers over `MAX_ENTRY_BYTES` are not kept.
- Runs as route middleware of `/v1/analyze` only, after authentication and
  the rate limit (a hit still counts against the caller's limit), and never on
  the rewrite path.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from service.observability import metrics
from service.security._asgi import replay_body

# Loose ASGI aliases, as in the security middleware.
Scope = Any
Receive = Any
Send = Any
ASGIApp = Any
Message = dict[str, Any]

MAX_BYTES = 64 * 1024 * 1024  # stored response bytes across all entries
MAX_ENTRY_BYTES = 256 * 1024  # a bigger answer is served but not remembered


@dataclass(frozen=True, slots=True)
class MemoEntry:
    headers: tuple[tuple[bytes, bytes], ...]  # as the handler sent them (content-type, length)
    body: bytes


class AnalyzeMemo:
    """A bounded LRU of encoded `/v1/analyze` answers. Used from one event loop only."""

    def __init__(self, max_entries: int, *, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max(0, max_entries)
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, MemoEntry] = OrderedDict()
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    @staticmethod
    def key(subject: str, body: bytes) -> bytes:
        digest = hashlib.sha256(body)
        digest.update(b"\x00" + subject.encode("utf-8", "surrogateescape"))
        return digest.digest()

    def get(self, key: bytes) -> MemoEntry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: bytes, entry: MemoEntry) -> None:
        size = len(entry.body)
        if not self.enabled or size > MAX_ENTRY_BYTES or size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[key] = entry
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class AnalyzeMemoMiddleware:
    """Route middleware of `/v1/analyze`: answer a repeat from the memo in `app.state`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        memo: AnalyzeMemo | None = getattr(scope["app"].state, "analyze_memo", None)
        if scope["type"] != "http" or memo is None or not memo.enabled:
            await self.app(scope, receive, send)
            return
        # Past the app's body limit (or, with none, past what is worth keeping) the handler
        # reads the body itself: it answers 413, or serves a huge body unmemoized.
        limit = scope["app"].request_max_body_size or MAX_ENTRY_BYTES
        announced = _content_length(scope)
        if announced is not None and announced > limit:
            await self.app(scope, receive, send)  # the handler answers 413, as always
            return
        chunks: list[bytes] = []
        size = 0
        complete = False
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replaying(chunks, receive, then=message), send)
                return
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
            if not message.get("more_body", False):
                complete = True
                break
            if size > limit:
                break
        if not complete:  # too large: let the handler read the rest and refuse it
            await self.app(scope, _replaying(chunks, receive), send)
            return
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        principal = scope.get("state", {}).get("tactful.principal")
        key = AnalyzeMemo.key(getattr(principal, "subject", ""), body)
        entry = memo.get(key)
        counters = metrics().analyze_memo
        if entry is not None:
            counters.labels(result="hit").inc()
            # A fresh list: outer middleware (CORS) may add headers to it in place.
            headers = list(entry.headers)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": entry.body, "more_body": False})
            return
        counters.labels(result="miss").inc()
        await self._miss(scope, replay_body(body, receive), send, memo, key)

    async def _miss(
        self, scope: Scope, receive: Receive, send: Send, memo: AnalyzeMemo, key: bytes
    ) -> None:
        status = 0
        headers: tuple[tuple[bytes, bytes], ...] = ()
        parts: list[bytes] = []
        whole = False

        async def capture(message: Message) -> None:
            nonlocal status, headers, whole
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = tuple((bytes(k), bytes(v)) for k, v in message.get("headers", ()))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                whole = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, capture)
        if status == 200 and whole:
            memo.put(key, MemoEntry(headers, b"".join(parts)))


def _replaying(chunks: list[bytes], receive: Receive, *, then: Message | None = None) -> Receive:
    """A `receive` that hands out the body read so far, then whatever the client sends next.

    `chunks` were received with `more_body` set (the body is not complete yet);
    `then` is a message read after them that was not body (a disconnect).
    """
    queue: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks
    ]
    if then is not None:
        queue.append(then)

    async def inner() -> Message:
        if queue:
            return queue.pop(0)
        message: Message = await receive()
        return message

    return inner

"""Idempotency-Key for POST /v1/rewrites, /v1/feedback and /v1/rewrite-batches.

- first request with a key: runs, and its response (status < 500) is stored for
  24 h; a 5xx or a crash releases the key so the client can retry;
- same key, same request: the stored response, with `Idempotent-Replayed: true`;
- same key, different request: 422; same key while the first still runs: 409.
Keys are scoped per caller (API key id, or IP without keys).

If the store is unreachable the request runs without idempotency (fail open):
a rewrite has no side effect besides cost, and feedback cannot be written
without Redis anyway (it answers 503), so nothing is ever written twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re

from service.security._asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    header_map,
    replay_body,
    scope_state,
    send_problem,
)
from service.security._auth import Principal
from service.security._policy import policy_for
from service.security._state import SecurityState
from service.store import StoredResponse, StoreUnavailable

_log = logging.getLogger("tactful.idempotency")
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
# Response headers not worth replaying (set again by outer middleware or the server).
_NOT_STORED = frozenset({"date", "server", "x-request-id", "content-length"})


def fingerprint(method: str, path: str, body: bytes, streamed: bool) -> str:
    """Whitespace and key order in the JSON body do not make a request "different"."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("latin-1")
    blob = f"{method} {path} {'stream' if streamed else 'json'}\n{canonical}"
    return hashlib.sha256(blob.encode()).hexdigest()


class _TooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = header_map(scope)
        raw_key = headers.get("idempotency-key")
        policy = policy_for(scope["method"], scope.get("path_template", ""))
        sec: SecurityState | None = getattr(scope["app"].state, "security", None)
        if raw_key is None or policy is None or not policy.idempotent or sec is None:
            await self.app(scope, receive, send)
            return
        if not _KEY_RE.match(raw_key):
            await send_problem(send, 400, "Idempotency-Key must be 1-255 visible ASCII characters.")
            return
        limit = sec.max_batch_body_bytes if policy.large_body else sec.max_body_bytes
        try:
            body = await _read_body(receive, limit)
        except _TooLarge:
            await send_problem(send, 413, f"The request body exceeds {limit} bytes.")
            return
        principal: Principal | None = scope_state(scope).get("tactful.principal")
        subject = principal.subject if principal else "anonymous"
        streamed = "text/event-stream" in headers.get("accept", "")
        fp = fingerprint(scope["method"], scope["path"], body, streamed)
        key = f"{subject}:{hashlib.sha256(raw_key.encode()).hexdigest()}"
        replay_receive = replay_body(body, receive)
        try:
            claim = await sec.idempotency.begin(key, fp)
        except StoreUnavailable:
            sec.metrics.store_fallbacks.labels(what="idempotency").inc()
            _log.warning("idempotency store unavailable: running the request without it")
            await self.app(scope, replay_receive, send)
            return
        if claim.state == "mismatch":
            await send_problem(
                send, 422, "This Idempotency-Key was already used with a different request."
            )
            return
        if claim.state == "inflight":
            await send_problem(
                send,
                409,
                "A request with this Idempotency-Key is still in progress; retry shortly.",
                headers={"Retry-After": "1"},
            )
            return
        if claim.state == "done" and claim.response is not None:
            sec.metrics.idempotent_replays.inc()
            await _replay(send, claim.response)
            return
        await self._first(scope, replay_receive, send, sec, key, fp)

    async def _first(
        self, scope: Scope, receive: Receive, send: Send, sec: SecurityState, key: str, fp: str
    ) -> None:
        status = 500
        stored_headers: list[tuple[str, str]] = []
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers", []):
                    name = k.decode("latin-1").lower()
                    if name not in _NOT_STORED and not name.startswith("ratelimit-"):
                        stored_headers.append((name, v.decode("latin-1")))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await _quietly_release(sec, key, fp)
            raise
        if status >= 500:
            await _quietly_release(sec, key, fp)
            return
        try:
            await sec.idempotency.complete(
                key, fp, StoredResponse(status, stored_headers, b"".join(parts))
            )
        except StoreUnavailable:
            sec.metrics.store_fallbacks.labels(what="idempotency").inc()


async def _quietly_release(sec: SecurityState, key: str, fp: str) -> None:
    try:
        await sec.idempotency.release(key, fp)
    except StoreUnavailable:
        sec.metrics.store_fallbacks.labels(what="idempotency").inc()


async def _replay(send: Send, response: StoredResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})

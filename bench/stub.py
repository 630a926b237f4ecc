"""A tiny OpenAI-compatible upstream for benchmarks: fixed answer, fixed delay, loopback only.

Why hand-written on asyncio.Protocol instead of a framework: the stub shares
two cores with the server under test and the load generator, so it must cost
as little CPU per request as possible (~30 µs here), and it must hold
thousands of idle connections for the "many in flight" test.

Routes (any path prefix is allowed, so the SDK's `base_url` can carry the delay):
  POST [/d<ms>]/v1/chat/completions   answer `STUB_ANSWER` after <ms> (default --delay-ms)
                                      `"stream": true` gets SSE chunks + a usage chunk
  GET  [/d<ms>]/v1/models             readiness
  GET  /_stats                        counters (received, completed, client_gone, max_in_flight)
  POST /_stats/reset
  POST /_delay/<ms>                   set the default delay (used without a /d<ms> prefix)
  POST /_answers                      body: the path of a JSON map {sha256 of the last user
                                      message: answer} (bench/_rewrites.py); a request whose
                                      prompt is in the map gets its own answer, any other
                                      `STUB_ANSWER`

Run: python -m bench.stub --port 8900 [--delay-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import re
import signal
import time
from dataclasses import asdict, dataclass
from typing import Any

from bench._fixtures import STUB_ANSWER

_DELAY_PREFIX = re.compile(rb"^/d(\d+)(/.*)$")
_MAX_HEADER_BYTES = 64 * 1024
# Token counts are fixed so throughput numbers do not depend on a tokenizer.
PROMPT_TOKENS = 900
COMPLETION_TOKENS = 160


@dataclass(slots=True)
class Stats:
    received: int = 0
    completed: int = 0
    client_gone: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


STATS = Stats()


def _completion(model: str, answer: str = STUB_ANSWER) -> bytes:
    return json.dumps({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer},
            "finish_reason": "stop",
            "logprobs": None,
        }],
        "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                  "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS},
    }).encode()  # fmt: skip


def _stream_chunks(model: str, answer: str = STUB_ANSWER, pieces: int = 8) -> bytes:
    """The same answer as SSE chunks, then a usage chunk and [DONE]."""
    size = max(1, len(answer) // pieces + 1)
    out: list[bytes] = []
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    for i in range(0, len(answer), size):
        delta = {"content": answer[i : i + size]}
        if i == 0:
            delta["role"] = "assistant"
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        out.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    out.append(b"data: " + json.dumps(last).encode() + b"\n\n")
    usage = {
        **base,
        "choices": [],
        "usage": {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        },
    }
    out.append(b"data: " + json.dumps(usage).encode() + b"\n\n")
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


_CACHE: dict[tuple[str, bool, str], bytes] = {}
# Answers per prompt (sha256 of the last user message), loaded by POST /_answers.
ANSWERS: dict[str, str] = {}


def _answer_for(payload: dict[str, Any]) -> str:
    """The answer loaded for this prompt, else the fixed `STUB_ANSWER`."""
    if not ANSWERS:
        return ""
    messages = payload.get("messages") or []
    last = messages[-1].get("content") if messages and isinstance(messages[-1], dict) else None
    if not isinstance(last, str):
        return ""
    key = hashlib.sha256(last.encode()).hexdigest()
    return key if key in ANSWERS else ""


def _answer_body(model: str, stream: bool, key: str = "") -> bytes:
    cache_key = (model, stream, key)
    if cache_key not in _CACHE:
        answer = ANSWERS[key] if key else STUB_ANSWER
        _CACHE[cache_key] = _stream_chunks(model, answer) if stream else _completion(model, answer)
    return _CACHE[cache_key]


def _response(
    status: int, body: bytes, content_type: bytes = b"application/json", keep_alive: bool = True
) -> bytes:
    reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found"}.get(status, b"Error")
    head = b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n%s\r\n" % (
        status,
        reason,
        content_type,
        len(body),
        b"" if keep_alive else b"connection: close\r\n",
    )
    return head + body


_DEFAULT_DELAY_S: list[float] = [0.0]


class StubProtocol(asyncio.Protocol):
    """One connection: parse a request, answer it (after the delay), then the next."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._busy = False
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > 16 * 1024 * 1024:
            self._fail(400)
            return
        if not self._busy:
            self._next()

    def _fail(self, status: int) -> None:
        if self._transport is not None:
            self._transport.write(_response(status, b"{}", keep_alive=False))
            self._transport.close()

    def _next(self) -> None:
        """Handle the next complete request in the buffer, if there is one."""
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > _MAX_HEADER_BYTES:
                self._fail(400)
            return
        head = self._buffer[:end].split(b"\r\n")
        try:
            method, target, version = head[0].split(b" ", 2)
        except ValueError:
            self._fail(400)
            return
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0") or 0)
        if len(self._buffer) < end + 4 + length:
            return  # wait for the rest of the body
        body = self._buffer[end + 4 : end + 4 + length]
        self._buffer = self._buffer[end + 4 + length :]
        conn = headers.get(b"connection", b"").lower()
        keep_alive = conn != b"close" and (version == b"HTTP/1.1" or conn == b"keep-alive")
        self._dispatch(method, target, body, keep_alive)

    def _dispatch(self, method: bytes, target: bytes, body: bytes, keep_alive: bool) -> None:
        path = target.split(b"?", 1)[0]
        delay_s = _DEFAULT_DELAY_S[0]
        if match := _DELAY_PREFIX.match(path):
            delay_s = int(match.group(1)) / 1000.0
            path = match.group(2)
        if method == b"POST" and path.endswith(b"/chat/completions"):
            try:
                payload: dict[str, Any] = json.loads(body)
            except ValueError:
                self._send(_response(400, b'{"error":"bad json"}'), keep_alive)
                return
            STATS.received += 1
            stream = bool(payload.get("stream"))
            answer = _answer_body(str(payload.get("model", "stub")), stream, _answer_for(payload))
            ctype = b"text/event-stream" if stream else b"application/json"
            raw = _response(200, answer, ctype, keep_alive)
            if delay_s <= 0:
                STATS.completed += 1
                self._send(raw, keep_alive)
            else:
                self._busy = True
                STATS.in_flight += 1
                STATS.max_in_flight = max(STATS.max_in_flight, STATS.in_flight)
                asyncio.get_running_loop().call_later(delay_s, self._delayed, raw, keep_alive)
            return
        if method == b"GET" and path.endswith(b"/models"):
            data = b'{"object":"list","data":[{"id":"stub","object":"model","owned_by":"bench"}]}'
            self._send(_response(200, data), keep_alive)
        elif path == b"/_stats" and method == b"GET":
            self._send(_response(200, json.dumps(asdict(STATS)).encode()), keep_alive)
        elif path == b"/_stats/reset" and method == b"POST":
            for field in ("received", "completed", "client_gone", "max_in_flight"):
                setattr(STATS, field, 0)
            self._send(_response(200, b"{}"), keep_alive)
        elif path == b"/_answers" and method == b"POST":
            with open(body.decode()) as f:
                ANSWERS.update(json.load(f))
            self._send(_response(200, json.dumps({"answers": len(ANSWERS)}).encode()), keep_alive)
        elif path.startswith(b"/_delay/") and method == b"POST":
            _DEFAULT_DELAY_S[0] = int(path.rsplit(b"/", 1)[1]) / 1000.0
            self._send(_response(200, b"{}"), keep_alive)
        else:
            self._send(_response(404, b'{"error":"not found"}'), keep_alive)

    def _delayed(self, raw: bytes, keep_alive: bool) -> None:
        STATS.in_flight -= 1
        self._busy = False
        if self._closed:
            STATS.client_gone += 1
            return
        STATS.completed += 1
        self._send(raw, keep_alive)

    def _send(self, raw: bytes, keep_alive: bool) -> None:
        if self._transport is None or self._closed:
            return
        self._transport.write(raw)
        if not keep_alive:
            self._transport.close()
        elif self._buffer:
            self._next()


async def serve(host: str, port: int, delay_ms: int) -> None:
    loop = asyncio.get_running_loop()
    _DEFAULT_DELAY_S[0] = delay_ms / 1000.0
    server = await loop.create_server(StubProtocol, host, port, backlog=4096, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args(argv)
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the stub listens on loopback only")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.delay_ms))


if __name__ == "__main__":
    main()

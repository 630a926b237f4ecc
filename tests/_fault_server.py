"""A misbehaving OpenAI-compatible endpoint on loopback, for fault-injection tests.

A raw asyncio TCP server rather than a framework: a framework will not send a
`Content-Length` it then breaks, close a socket half-way through a body, or
stop an SSE stream without `[DONE]`, and those are exactly the faults that
matter. Each request takes the next `Fault` from a script (the last one
repeats), so a test states what the upstream does, call by call, and then
asserts on what the app answered and how many calls the upstream saw.

The server runs its own event loop in a thread: Litestar's test client runs
the app in a portal thread and blocks the test's loop while a request is in
flight, so a server on the test's loop would never get to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

FaultKind = Literal[
    "ok",  # a good completion (JSON or SSE, whichever was asked for)
    "status",  # an HTTP error with an OpenAI error body (+ optional Retry-After)
    "hang",  # read the request, never answer
    "drop_mid_body",  # headers and half the body (SSE: half the first chunk), then close
    "drop_mid_stream",  # SSE: a first content delta, then close (JSON: as drop_mid_body)
    "html",  # 200 labelled application/json, body is a proxy's HTML page
    "empty",  # 200 labelled application/json, empty body
    "cut_json",  # 200, complete at the HTTP level, the JSON cut off half-way
    "length",  # a well-formed completion whose answer was cut off (finish_reason=length)
]


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    status: int = 500
    retry_after: str | None = None
    text: str = ""  # the answer for "ok" / "length"


@dataclass(slots=True)
class Seen:
    """One request as the upstream received it."""

    path: str
    stream: bool
    body: dict[str, Any] = field(default_factory=dict)


class FaultServer:
    """`async with FaultServer() as up:` then `up.script(...)`; `up.base_url` ends in /v1."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port = 0
        self._script: list[Fault] = [Fault("ok")]
        self._default_text = ""
        self.seen: list[Seen] = []
        self.probes = 0
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._release: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}/v1"

    @property
    def calls(self) -> int:
        return len(self.seen)

    def script(self, faults: Iterable[Fault], *, ok_text: str = "") -> None:
        """What the next calls get, in order; the last fault repeats forever."""
        self._script = list(faults) or [Fault("ok")]
        if ok_text:
            self._default_text = ok_text

    async def __aenter__(self) -> Self:
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()
        if not await asyncio.to_thread(self._ready.wait, 10):
            raise RuntimeError("fault server did not start")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._loop is not None
        assert self._stop is not None
        assert self._thread is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join, 10)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop, self._release = asyncio.Event(), asyncio.Event()
        server = await asyncio.start_server(self._handle, self._host, 0)
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        self._release.set()
        for writer in list(self._writers):
            writer.close()
        # Let every connection handler finish before the loop goes away (no stray tasks).
        await asyncio.gather(*self._tasks, return_exceptions=True)
        server.close()
        await server.wait_closed()

    def _next(self) -> Fault:
        return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False closes the connection."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        pairs = (line.partition(":") for line in lines[1:] if line)
        headers = {k.strip().lower(): v.strip() for k, _, v in pairs}
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        if method == "GET":  # the readiness probe's GET /models: always fine, never scripted
            self.probes += 1
            await _send(writer, 200, "application/json", '{"object": "list", "data": []}')
            return True
        body: dict[str, Any] = json.loads(raw) if raw else {}
        stream = bool(body.get("stream"))
        self.seen.append(Seen(path=path, stream=stream, body=body))
        return await self._answer(self._next(), stream, writer)

    async def _answer(self, fault: Fault, stream: bool, writer: asyncio.StreamWriter) -> bool:
        text = fault.text or self._default_text
        kind = fault.kind
        if kind == "hang":
            assert self._release is not None
            await self._release.wait()
            return False
        if kind == "status":
            extra = {"retry-after": fault.retry_after} if fault.retry_after is not None else {}
            payload = {"error": {"message": "injected", "type": "server_error", "code": None}}
            await _send(writer, fault.status, "application/json", json.dumps(payload), extra)
            return True
        if kind == "html":
            await _send(writer, 200, "application/json", "<html><body>Bad Gateway</body></html>")
            return True
        if kind == "empty":
            await _send(writer, 200, "text/event-stream" if stream else "application/json", "")
            return True
        if stream:
            return await self._stream(fault, text, writer)
        full = json.dumps(_completion(text, "length" if kind == "length" else "stop"))
        if kind == "cut_json":
            await _send(writer, 200, "application/json", full[: len(full) // 2])
            return True
        if kind in {"drop_mid_body", "drop_mid_stream"}:
            data = full.encode()
            writer.write(_head(200, "application/json", len(data)) + data[: len(data) // 2])
            await writer.drain()
            return False
        await _send(writer, 200, "application/json", full)
        return True

    async def _stream(self, fault: Fault, text: str, writer: asyncio.StreamWriter) -> bool:
        kind = fault.kind
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n"
        )
        half = max(1, len(text) // 2)
        pieces = [text[:half], text[half:]] if text else [""]
        finish = "length" if kind == "length" else "stop"
        if kind == "drop_mid_body":
            writer.write(b'40\r\ndata: {"id": "chatcmpl-fault", "obj')
            await writer.drain()
            return False
        for i, piece in enumerate(pieces):
            event = _chunk(piece, None)
            if kind == "cut_json" and i == 1:
                _write_chunk(writer, b"data: " + json.dumps(event).encode()[:20] + b"\n\n")
                continue
            _write_chunk(writer, b"data: " + json.dumps(event).encode() + b"\n\n")
            await writer.drain()
            if kind == "drop_mid_stream":
                return False  # the connection dies after the first delta
        _write_chunk(writer, b"data: " + json.dumps(_chunk("", finish)).encode() + b"\n\n")
        _write_chunk(writer, b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def _head(
    status: int, content_type: str, length: int, extra: dict[str, str] | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"content-type: {content_type}", f"content-length: {length}"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    content_type: str,
    body: str,
    extra: dict[str, str] | None = None,
) -> None:
    data = body.encode()
    writer.write(_head(status, content_type, len(data), extra) + data)
    await writer.drain()


def _write_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def _completion(text: str, finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 1,
        "model": "fault-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": text},
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }


def _chunk(text: str, finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "fault-model",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish_reason}],
    }

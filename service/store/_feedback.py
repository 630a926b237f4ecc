"""Feedback on rewrites: appended durably, acknowledged only after the write returned.

With Redis: one stream (`XADD`), so entries are ordered and any replica can
append. Without Redis: a JSONL file, each line flushed and fsync'd before we
answer. With neither there is nowhere durable to write, and the endpoint says
so (503) rather than accepting feedback it would lose.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis

from service.store._shared import SharedState

EXPORT_PAGE = 500


class FeedbackStore(Protocol):
    async def append(self, entry: dict[str, Any]) -> str:
        """Write durably and return the entry id; raise `StoreUnavailable` when it cannot."""
        ...

    def entries(self) -> AsyncIterator[dict[str, Any]]:
        """Every entry, oldest first, each with its `id`."""
        ...


class RedisFeedback:
    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self._stream = shared.keys.key("feedback")

    async def append(self, entry: dict[str, Any]) -> str:
        blob = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        entry_id: Any = await self._shared.call(lambda r: r.xadd(self._stream, {"data": blob}))
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def entries(self) -> AsyncIterator[dict[str, Any]]:
        start = "-"
        while True:

            async def page(r: Redis, start: str = start) -> list[Any]:
                out: Any = await r.xrange(self._stream, min=start, max="+", count=EXPORT_PAGE)
                return list(out)

            rows: list[Any] = await self._shared.call(page)
            for entry_id, fields in rows:
                yield {"id": entry_id.decode(), **json.loads(fields[b"data"])}
            if len(rows) < EXPORT_PAGE:
                return
            start = "(" + rows[-1][0].decode()


class FileFeedback:
    """One JSON object per line; fsync before acknowledging."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._lock = asyncio.Lock()

    def _write(self, line: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    async def append(self, entry: dict[str, Any]) -> str:
        entry_id = f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:8]}"
        line = json.dumps({"id": entry_id, **entry}, ensure_ascii=False) + "\n"
        async with self._lock:
            await asyncio.to_thread(self._write, line)
        return entry_id

    async def entries(self) -> AsyncIterator[dict[str, Any]]:
        try:
            text = await asyncio.to_thread(self._path.read_text, encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)


def feedback_for(shared: SharedState, feedback_file: str | None) -> FeedbackStore | None:
    if shared.redis is not None:
        return RedisFeedback(shared)
    if feedback_file:
        return FileFeedback(feedback_file)
    return None

"""Exactly N requests at once against the app; reads every answer's `source`.

Why not ab/wrk for this one: the burst must be exactly N requests in flight
together (wrk runs for a duration), and a model timeout inside Tactful comes
back as a 200 written by the composer. Only a client that reads the body can
tell that apart from a real model answer, so this one does (aiohttp, one
connection per request, no client-side limit). Bounded by --deadline: requests
still running then are cancelled and counted as timeouts.

Run: python -m bench.burst --url http://127.0.0.1:8000/v1/rewrites --body b.json -n 1000

`--body` is one JSON request, or one per line: request i sends line i (modulo
their number), so a burst of distinct drafts repeats no body.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.client import percentile


async def burst(
    url: str, bodies: list[bytes], n: int, deadline_s: float, api_key: str
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    statuses: dict[str, int] = {}
    sources: dict[str, int] = {}
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(body: bytes) -> None:
            began = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    raw = await response.read()
                    status = str(response.status)
            except Exception as exc:
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                return
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status == "200":
                source = str(json.loads(raw).get("source"))
                sources[source] = sources.get(source, 0) + 1

        began = time.perf_counter()
        tasks = [asyncio.ensure_future(one(bodies[i % len(bodies)])) for i in range(n)]
        _, pending = await asyncio.wait(tasks, timeout=deadline_s)
        wall = time.perf_counter() - began
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    ms = sorted(latencies)
    ok = statuses.get("200", 0)
    return {
        "tool": "bench.burst (aiohttp)",
        "requests": n,
        "ok": ok,
        "statuses": statuses,
        "sources": sources,
        "timeouts": len(pending),
        "errors": n - sources.get("model", 0),  # anything but a real model answer
        "wall_s": round(wall, 3),
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(ms[-1], 1) if ms else None,
    }


def _bodies(path: Path) -> list[bytes]:
    """The requests of a `.lines` file (one JSON document a line), else the file as one."""
    raw = path.read_bytes()
    lines = [line for line in raw.splitlines() if line.strip()]
    try:
        for line in lines:
            json.loads(line)
    except ValueError:
        return [raw]
    return lines or [raw]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", required=True)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--deadline", type=float, default=20.0)
    parser.add_argument("--api-key", default="")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("loopback only")
    result = asyncio.run(
        burst(args.url, _bodies(Path(args.body)), args.n, args.deadline, args.api_key)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

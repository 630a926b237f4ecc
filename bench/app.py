"""The app under test, plus two baseline routes served by the very same server.

`create_bench_app` is the production `create_app()` (settings from the
environment, exactly as `tactful serve`), with two routes added so ours and
the baseline share one uvicorn process, one event loop and one set of
middleware:

  POST /bench/bare/{name}      a bare Litestar handler: decode the JSON body as
                               a plain dict (no validation), return a
                               precomputed dict of the same shape and size as
                               our response `name` ("analyze", "rewrite").
  POST /bench/passthrough      the bare handler plus one call of a bare
                               `AsyncOpenAI` client to the configured upstream
                               (the smallest possible "proxy to the model").

BENCH_PAYLOADS points at a JSON file of responses captured from our own
endpoints (the runner writes it after one real request; read on first use).
BENCH_TRANSPORT=httpx|aiohttp sets TACTFUL_MODEL_TRANSPORT for the app's model
client and the passthrough (to compare transports end to end).

Run: python -m bench.serve --port 8000 (uvicorn set up as `tactful serve` does)
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import openai
from litestar import Litestar, post

from bench.client import MAX_TOKENS, TEMPERATURE, rendered_messages

_STATE: dict[str, Any] = {}


def _patch_transport(transport: str) -> None:
    """Choose the app's SDK transport for a comparison run (production: aiohttp)."""
    if transport == "":
        return
    if transport not in {"httpx", "aiohttp"}:
        raise SystemExit(f"BENCH_TRANSPORT={transport!r}: use httpx or aiohttp")
    os.environ["TACTFUL_MODEL_TRANSPORT"] = transport


async def _bare_client() -> openai.AsyncOpenAI:
    client: openai.AsyncOpenAI | None = _STATE.get("client")
    if client is None:
        lock: asyncio.Lock = _STATE.setdefault("lock", asyncio.Lock())
        async with lock:
            client = _STATE.get("client")
            if client is None:
                from service.llm import build_openai_client
                from service.settings import get_settings

                settings = get_settings()
                # The passthrough uses the same transport as the app's model client.
                client = build_openai_client(
                    base_url=settings.openai_base_url,
                    api_key="bench",
                    timeout_s=settings.model_timeout_s,
                    max_connections=settings.model_max_connections,
                    transport=settings.model_transport,
                )
                _STATE["client"] = client
                _STATE["messages"] = rendered_messages()
    return client


async def _close_bare_client() -> None:
    client: openai.AsyncOpenAI | None = _STATE.pop("client", None)
    if client is not None:
        await client.close()


def create_bench_app() -> Litestar:
    _patch_transport(os.environ.get("BENCH_TRANSPORT", ""))
    from service.api.app import create_app
    from service.observability import configure_logging
    from service.settings import get_settings

    configure_logging(get_settings().log_level)  # as `tactful serve`, in every worker

    payloads: dict[str, Any] = {}

    def payload(name: str) -> dict[str, Any]:
        if name not in payloads:
            path = os.environ.get("BENCH_PAYLOADS")
            if path and Path(path).is_file():
                payloads.update(json.loads(Path(path).read_text()))
        result: dict[str, Any] = payloads[name]
        return result

    @post("/bench/bare/{name:str}", status_code=200, sync_to_thread=False, include_in_schema=False)
    def bare(name: str, data: dict[str, Any]) -> dict[str, Any]:
        return payload(name)

    @post("/bench/passthrough", status_code=200, include_in_schema=False)
    async def passthrough(data: dict[str, Any]) -> dict[str, Any]:
        client = await _bare_client()
        answer = await client.chat.completions.create(
            model="bench-stub",
            messages=_STATE["messages"],
            temperature=TEMPERATURE,
            max_tokens=MAX_TOKENS,
            stream=False,
        )
        if not answer.choices or not answer.choices[0].message.content:
            raise RuntimeError("empty answer from the upstream")
        return payload("rewrite")

    app = create_app()
    app.register(bare)
    app.register(passthrough)
    app.on_shutdown.append(_close_bare_client)
    return app

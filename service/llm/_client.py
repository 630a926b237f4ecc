"""Build the one `AsyncOpenAI` client a process uses.

Why a factory instead of `AsyncOpenAI(...)` at call sites:

* openai 3.x sends through `httpx2` by default, which respx cannot see. Unit
  tests hand it an explicit `httpx.AsyncClient`, so they can intercept every
  request (`tests/unit/test_llm_client.py` fails loudly if that ever stops).
* Production sends through the SDK's aiohttp transport (`openai[aiohttp]`):
  measured in `bench/` (README there), the plain httpx pool spends its time
  rescanning connections and collapses at a few hundred requests in flight,
  while aiohttp held 1,000 in flight with no errors. `transport="httpx"`
  remains for comparison, and tests inject their own `httpx.AsyncClient`.
* `max_retries=0`: the SDK's retry loop is switched off, so tenacity in
  `OpenAIChatModel` is the only retry layer and the deadline means something.

The app lifespan owns the returned client and closes it (`await client.close()`
also closes the `httpx.AsyncClient` it wraps).
"""

from __future__ import annotations

from typing import Any, Literal, cast

import httpx
import httpx2
import openai

from service.settings import (
    DEFAULT_MODEL_CONNECT_TIMEOUT_S,
    DEFAULT_MODEL_MAX_CONNECTIONS,
    DEFAULT_MODEL_TIMEOUT_S,
)

DEFAULT_TIMEOUT_S = DEFAULT_MODEL_TIMEOUT_S
DEFAULT_CONNECT_TIMEOUT_S = DEFAULT_MODEL_CONNECT_TIMEOUT_S
DEFAULT_MAX_CONNECTIONS = DEFAULT_MODEL_MAX_CONNECTIONS
Transport = Literal["aiohttp", "httpx"]
DEFAULT_TRANSPORT: Transport = "aiohttp"
# Local OpenAI-compatible servers (llama.cpp, vLLM, Ollama) ignore the key, but
# the SDK refuses to build a client without one.
PLACEHOLDER_API_KEY = "not-needed"


def build_http_client(*, timeout_s: float, max_connections: int) -> httpx.AsyncClient:
    """The pooled transport under the OpenAI client; connect fails fast, reads may be slow."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s, connect=min(DEFAULT_CONNECT_TIMEOUT_S, timeout_s)),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
        ),
    )


def build_aiohttp_client(*, timeout_s: float, max_connections: int) -> httpx2.AsyncClient:
    """The SDK's aiohttp transport with our pool size and a fast connect timeout."""
    client: httpx2.AsyncClient = openai.DefaultAioHttpClient(
        timeout=httpx2.Timeout(timeout_s, connect=min(DEFAULT_CONNECT_TIMEOUT_S, timeout_s)),
        limits=httpx2.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )
    return client


def build_openai_client(
    *,
    base_url: str | None,
    api_key: str | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    http_client: httpx.AsyncClient | None = None,
    transport: Transport = DEFAULT_TRANSPORT,
) -> openai.AsyncOpenAI:
    """Return an `AsyncOpenAI` over a plain `httpx.AsyncClient`, with SDK retries off.

    Args:
        base_url: OpenAI-compatible endpoint ending in `/v1`; None means api.openai.com.
        api_key: secret for the endpoint; None is allowed for local servers.
        timeout_s: per-request ceiling; `OpenAIChatModel` narrows it to its deadline.
        max_connections: pool size, shared by all concurrent requests.
        http_client: inject a ready client (tests, custom proxies); it must be
            `httpx.AsyncClient`, never `httpx2`, or respx cannot intercept it.
        transport: without an injected client, "aiohttp" (production) or "httpx".
    """
    chosen: httpx.AsyncClient | httpx2.AsyncClient
    if http_client is not None:
        chosen = http_client
    elif transport == "httpx":
        chosen = build_http_client(timeout_s=timeout_s, max_connections=max_connections)
    else:
        chosen = build_aiohttp_client(timeout_s=timeout_s, max_connections=max_connections)
    # The SDK annotates `http_client` as httpx2.AsyncClient but accepts the
    # legacy httpx.AsyncClient at runtime (checked in openai._base_client).
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key or PLACEHOLDER_API_KEY,
        timeout=timeout_s,
        max_retries=0,
        http_client=cast(Any, chosen),
    )

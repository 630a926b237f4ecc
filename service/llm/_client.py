"""Build the one `AsyncOpenAI` client a process uses.

Why a factory instead of `AsyncOpenAI(...)` at call sites:

* openai 3.x sends through `httpx2` by default, which respx cannot see. We
  always hand it an explicit `httpx.AsyncClient`, so the pool limits and
  timeouts are ours and the unit tests can intercept every request
  (`tests/unit/test_llm_client.py` fails loudly if that ever stops).
* `max_retries=0`: the SDK's retry loop is switched off, so tenacity in
  `OpenAIChatModel` is the only retry layer and the deadline means something.

The app lifespan owns the returned client and closes it (`await client.close()`
also closes the `httpx.AsyncClient` it wraps).
"""

from __future__ import annotations

from typing import Any, cast

import httpx
import openai

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_CONNECTIONS = 20
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


def build_openai_client(
    *,
    base_url: str | None,
    api_key: str | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    http_client: httpx.AsyncClient | None = None,
) -> openai.AsyncOpenAI:
    """Return an `AsyncOpenAI` over a plain `httpx.AsyncClient`, with SDK retries off.

    Args:
        base_url: OpenAI-compatible endpoint ending in `/v1`; None means api.openai.com.
        api_key: secret for the endpoint; None is allowed for local servers.
        timeout_s: per-request ceiling; `OpenAIChatModel` narrows it to its deadline.
        max_connections: pool size, shared by all concurrent requests.
        http_client: inject a ready client (tests, custom proxies); it must be
            `httpx.AsyncClient`, never `httpx2`, or respx cannot intercept it.
    """
    transport = http_client or build_http_client(
        timeout_s=timeout_s, max_connections=max_connections
    )
    # The SDK annotates `http_client` as httpx2.AsyncClient but accepts the
    # legacy httpx.AsyncClient at runtime (checked in openai._base_client).
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key or PLACEHOLDER_API_KEY,
        timeout=timeout_s,
        max_retries=0,
        http_client=cast(Any, transport),
    )

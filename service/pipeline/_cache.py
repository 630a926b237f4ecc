"""The response cache: the key of a request, and best-effort reads and writes."""

from __future__ import annotations

import contextlib
import hashlib
import json

from service.llm import ModelParams
from service.models import RewriteRequest, RewriteResponse
from service.store import ResponseCache


def cache_key(
    request: RewriteRequest,
    *,
    prompt_version: str,
    model: str,
    params: ModelParams,
    tenant: str | None = None,
) -> str:
    """Hash of the tenant, the normalised request, prompt version, model and parameters.

    The tenant (the caller's "key:<id>", or "ip:<addr>" on a keyless server) keeps
    tenants apart: the same draft sent with two API keys is two entries, so neither
    receives the other's rewrite or rewrite id (and a hit's timing says nothing about
    what another tenant sent).
    """
    payload = {
        "tenant": tenant,
        "request": request.model_dump(mode="json", exclude_none=True),
        "prompt_version": prompt_version,
        "model": model,
        "params": [params.max_tokens, params.temperature, params.seed],
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "rw:" + hashlib.sha256(blob.encode()).hexdigest()


async def read_cached(cache: ResponseCache, key: str) -> RewriteResponse | None:
    """The cached response, or None when absent, unreadable or the cache is down."""
    try:
        raw = await cache.get(key)
    except Exception:  # a broken cache must never fail a rewrite
        return None
    if raw is None:
        return None
    try:
        return RewriteResponse.model_validate_json(raw)
    except ValueError:
        return None


async def store_cached(
    cache: ResponseCache, key: str, response: RewriteResponse, ttl_s: int
) -> None:
    """Cache a response; caching is best effort."""
    with contextlib.suppress(Exception):
        await cache.set(key, response.model_dump_json().encode(), ttl_s)

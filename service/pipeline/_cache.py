"""The response cache: the key of a request, and best-effort reads and writes.

Every entry this process writes carries a seal: an HMAC of the cache key and
the stored response under a random key drawn when the process starts (never
stored, never shared). A sealed entry was written by this very process, for
this very request, after `released()` checked every field with the guard
this process runs, so serving it again needs no new check. Anything else (an
entry written by another replica or before a restart, under other code or
lexicons, or by anything but this pipeline; a seal that does not verify) is
re-checked with today's guard before it is served (`verified`,
`_release.py`): no entry is replayed unchecked.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

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


# Drawn once per process; only this process can seal (or verify) its entries.
_SEAL_KEY = secrets.token_bytes(32)
_SEAL_PREFIX = b"tseal1:"
_SEAL_HEX = 64  # sha256, hex


@dataclass(frozen=True, slots=True)
class Cached:
    """A cached response, and whether this process sealed it (checked when stored)."""

    response: RewriteResponse
    sealed: bool


def _seal(key: str, payload: bytes) -> bytes:
    return hmac.new(_SEAL_KEY, key.encode() + b"\n" + payload, hashlib.sha256).hexdigest().encode()


async def read_cached(cache: ResponseCache, key: str) -> Cached | None:
    """The cached response, or None when absent, unreadable or the cache is down."""
    try:
        raw = await cache.get(key)
    except Exception:  # a broken cache must never fail a rewrite
        return None
    if raw is None:
        return None
    sealed = False
    if raw.startswith(_SEAL_PREFIX):
        seal = raw[len(_SEAL_PREFIX) : len(_SEAL_PREFIX) + _SEAL_HEX]
        raw = raw[len(_SEAL_PREFIX) + _SEAL_HEX + 1 :]
        sealed = hmac.compare_digest(seal, _seal(key, raw))
    try:
        return Cached(RewriteResponse.model_validate_json(raw), sealed)
    except ValueError:
        return None


async def store_cached(
    cache: ResponseCache, key: str, response: RewriteResponse, ttl_s: int
) -> None:
    """Cache a response that `released()` has checked, sealed by this process (best effort)."""
    payload = response.model_dump_json().encode()
    with contextlib.suppress(Exception):
        await cache.set(key, _SEAL_PREFIX + _seal(key, payload) + b"\n" + payload, ttl_s)

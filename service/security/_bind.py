"""Refuse to expose an unauthenticated API: with no keys, only loopback binds are allowed."""

from __future__ import annotations

import ipaddress

from service.security._keys import key_store_for
from service.settings import Settings
from service.store import StoreUnavailable, open_shared


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname we cannot vouch for


async def bind_refusal(settings: Settings, host: str) -> str | None:
    """Why serving on `host` is refused, or None when it is allowed."""
    if is_loopback(host):
        return None
    async with open_shared(settings) as shared:
        store = key_store_for(shared, settings.api_keys_file)
        if store is None:
            return (
                f"refusing to serve on {host}: no API keys are configured, so the API would "
                "be open to anyone. Set REDIS_URL (or TACTFUL_API_KEYS_FILE), run "
                "`tactful keys create --name <client>`, then start again; or bind to "
                "127.0.0.1."
            )
        try:
            active = [k for k in await store.all() if not k.revoked]
        except StoreUnavailable:
            return (
                f"refusing to serve on {host}: the API key store (Redis) is unreachable, "
                "so keys cannot be checked."
            )
    if not active:
        return (
            f"refusing to serve on {host}: there is no active API key. Run "
            "`tactful keys create --name <client>` first, or bind to 127.0.0.1."
        )
    return None

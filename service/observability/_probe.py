"""Readiness probe for the model endpoint: `GET <base_url>/models`, cached briefly.

Any HTTP answer (even 401/404: some servers do not list models) proves the
endpoint is up; only a connection failure or timeout counts as unreachable.
Cached so a readiness scrape every second costs one probe per `TTL_S`.
"""

from __future__ import annotations

import time

import httpx

TTL_S = 5.0
TIMEOUT_S = 1.0


class ModelProbe:
    def __init__(self, base_url: str, *, api_key: str | None = None) -> None:
        self._url = base_url.rstrip("/") + "/models"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._cached: tuple[float, str] | None = None

    async def status(self) -> str:
        """Either "ok" or "unreachable"."""
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < TTL_S:
            return self._cached[1]
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                await client.get(self._url, headers=self._headers)
            result = "ok"
        except httpx.HTTPError:
            result = "unreachable"
        self._cached = (now, result)
        return result

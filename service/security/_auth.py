"""Who is calling: an API key (Bearer or X-API-Key), or, with no keys configured, an IP.

Status codes, consistently:
- 401 `Unauthorized` (with `WWW-Authenticate: Bearer`): no key, a malformed key, or
  a key we do not know. The client should obtain or fix its key.
- 403 `Forbidden`: a real key that was revoked, or that lacks the scope the route
  needs. Retrying with the same key will never work.
- 503: keys live in Redis and Redis is unreachable and the key was not verified
  recently. Authentication fails closed: an unverifiable key is never accepted.

Auth is required when `require_api_key` is set (`tactful serve` sets it for any
non-loopback bind, and refuses such a bind when no key exists), or as soon as
the key store holds a key (checked every few seconds, so creating the first key
switches it on without a restart; if the store has never answered, a loopback
server stays open rather than locking its local user out).
Verified keys are remembered for `VERIFIED_TTL_S`: a revocation takes effect
within that time, and a short Redis outage does not lock out active clients.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from service.security._keys import ApiKeyRecord, KeyStore, Scope, key_id, matches
from service.store import StoreUnavailable

_log = logging.getLogger("tactful.auth")
VERIFIED_TTL_S = 10.0
REQUIRED_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class Principal:
    """`subject` scopes rate limits and idempotency keys: "key:<id>" or "ip:<addr>"."""

    subject: str
    key_id: str | None


@dataclass(frozen=True, slots=True)
class Denial:
    status: int
    detail: str
    headers: dict[str, str]


def presented_key(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return headers.get("x-api-key", "").strip() or None


class Authenticator:
    def __init__(self, store: KeyStore | None, *, always: bool = False) -> None:
        self._store = store
        self._always = always
        self._verified: dict[str, tuple[float, ApiKeyRecord]] = {}
        self._required: tuple[float, bool] | None = None

    async def required(self) -> bool:
        """True if forced, or once any key exists (last known answer while the store is down)."""
        if self._always:
            return True
        if self._store is None:
            return False
        now = time.monotonic()
        if self._required is not None and now - self._required[0] < REQUIRED_TTL_S:
            return self._required[1]
        try:
            value = bool(await self._store.all())
        except StoreUnavailable:
            return False if self._required is None else self._required[1]
        self._required = (now, value)
        return value

    async def authenticate(
        self,
        headers: dict[str, str],
        client_ip: str,
        scope: Scope | None,
        *,
        public: bool = False,
    ) -> Principal | Denial:
        """`scope` is what the key must allow (None: any valid key); `public` routes need none."""
        key = presented_key(headers)
        if not await self.required():
            # Loopback-only mode (the CLI refuses other binds): identify by address.
            return Principal(subject=f"ip:{client_ip}", key_id=None)
        if key is None:
            if public:
                return Principal(subject=f"ip:{client_ip}", key_id=None)
            return _unauthorized("An API key is required (Authorization: Bearer <key>).")
        ident = key_id(key)
        if self._store is None:
            return _unauthorized("No API keys are configured on this server.")
        if ident is None:
            return _unauthorized("The API key is malformed.")
        try:
            record = await self._lookup(ident)
        except StoreUnavailable:
            return Denial(
                503, "API keys cannot be verified right now; retry shortly.", {"Retry-After": "1"}
            )
        if record is None or not matches(record, key):
            _log.info("rejected unknown api key id=%s", ident)
            return _unauthorized("The API key is not valid.")
        if record.revoked:
            return Denial(403, "This API key has been revoked.", {})
        if scope is not None and scope not in record.scopes:
            return Denial(403, f"This API key does not have the {scope!r} scope.", {})
        return Principal(subject=f"key:{record.id}", key_id=record.id)

    async def _lookup(self, ident: str) -> ApiKeyRecord | None:
        assert self._store is not None  # noqa: S101 - required() is False without a store
        now = time.monotonic()
        cached = self._verified.get(ident)
        if cached is not None and now - cached[0] < VERIFIED_TTL_S:
            return cached[1]
        try:
            record = await self._store.get(ident)
        except StoreUnavailable:
            if cached is not None:
                return cached[1]  # a key verified before the outage stays usable
            raise
        if record is not None:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[ident] = (now, record)
        return record


def _unauthorized(detail: str) -> Denial:
    return Denial(401, detail, {"WWW-Authenticate": 'Bearer realm="tactful"'})

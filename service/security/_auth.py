"""Who is calling: an API key (Bearer or X-API-Key), or, with no keys configured, an IP.

Status codes, consistently:
- 401 `Unauthorized` (with `WWW-Authenticate: Bearer`): no key, a malformed key, or
  a key we do not know. The client should obtain or fix its key.
- 403 `Forbidden`: a real key that was revoked, or that lacks the scope the route
  needs. Retrying with the same key will never work.
- 503 (with `Retry-After`): the key store (Redis, or the keys file) cannot be read and
  the key was not verified recently, or the store has never answered so we cannot tell
  whether keys are required. Authentication fails closed: an unverifiable request is
  never let in.

When is a key required? Exactly one of these holds, checked in this order:
1. `require_api_key` is set (`tactful serve` sets it for any non-loopback bind, and
   refuses such a bind when no active key exists): always.
2. No key store is configured (no `REDIS_URL`, no `TACTFUL_API_KEYS_FILE`): never. The
   server is keyless; only a loopback bind is allowed, and callers are told apart by IP.
3. The key store answered within the last `REQUIRED_TTL_S` and holds at least one key
   (revoked ones count: revoking every key locks the API, it does not open it): always.
4. The key store answered within the last `REQUIRED_TTL_S` and is empty: never (a
   loopback server before its first `tactful keys create`).
5. The key store cannot be read: if its last answer listed keys, a key is required and
   only keys verified in the last `VERIFIED_TTL_S` get in; otherwise (it never
   answered, or was empty) nobody gets in: 503 on every route that needs a key.
Creating the first key switches auth on within `REQUIRED_TTL_S`, without a restart.
Verified keys are remembered for `VERIFIED_TTL_S`: a revocation takes effect
within that time, and a short Redis outage does not lock out active clients.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from service.security._keys import ApiKeyRecord, KeyStore, Scope, key_id, matches
from service.store import StoreUnavailable

_log = logging.getLogger("tactful.auth")
VERIFIED_TTL_S = 10.0
REQUIRED_TTL_S = 5.0
STORE_RETRY_AFTER_S = 2

# "required": a key is needed; "open": keyless (loopback only); "unknown": the store cannot
# be read and never said it was empty, so a request without a verified key cannot be let in.
AuthMode = Literal["required", "open", "unknown"]


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

    async def mode(self) -> AuthMode:
        """Whether a key is required now (the numbered rules of this module's docstring)."""
        if self._always:
            return "required"
        if self._store is None:
            return "open"
        now = time.monotonic()
        if self._required is not None and now - self._required[0] < REQUIRED_TTL_S:
            return "required" if self._required[1] else "open"
        try:
            value = bool(await self._store.all())
        except StoreUnavailable:
            if self._required is not None and self._required[1]:
                return "required"  # keys existed: recently verified ones still get in
            return "unknown"  # fail closed: it may hold a key created since
        self._required = (now, value)
        return "required" if value else "open"

    async def required(self) -> bool:
        """True unless the server is keyless right now ("unknown" counts as required)."""
        return await self.mode() != "open"

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
        mode = await self.mode()
        if mode == "open":
            # Keyless loopback mode (the CLI refuses other binds): identify by address.
            return Principal(subject=f"ip:{client_ip}", key_id=None)
        if key is None:
            if public:
                return Principal(subject=f"ip:{client_ip}", key_id=None)
            if mode == "unknown":
                return _store_down()
            return _unauthorized("An API key is required (Authorization: Bearer <key>).")
        ident = key_id(key)
        if self._store is None:
            return _unauthorized("No API keys are configured on this server.")
        if ident is None:
            return _unauthorized("The API key is malformed.")
        try:
            record = await self._lookup(ident)
        except StoreUnavailable:
            return _store_down()
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


def _store_down() -> Denial:
    return Denial(
        503,
        "API keys cannot be verified right now (the key store is unreachable); retry shortly.",
        {"Retry-After": str(STORE_RETRY_AFTER_S)},
    )


def _unauthorized(detail: str) -> Denial:
    return Denial(401, detail, {"WWW-Authenticate": 'Bearer realm="tactful"'})

"""API keys: generated with 256 bits of entropy, stored only as a SHA-256 digest.

Why a plain SHA-256 and not bcrypt/argon2: those slow hashes protect
low-entropy human passwords from guessing. A random 256-bit key cannot be
guessed, so a fast digest is just as safe and costs microseconds per request
instead of tens of milliseconds. The key carries a short public id
(`tk_<id>_<secret>`) so a lookup is one read by id, then a constant-time
comparison of digests; the id is what logs, metrics and `keys list` show.

Keys live in Redis when `REDIS_URL` is set, otherwise in `TACTFUL_API_KEYS_FILE`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from service.store import SharedState, StoreUnavailable

Scope = Literal["analyze", "rewrite", "batch", "feedback"]
ALL_SCOPES: tuple[Scope, ...] = ("analyze", "rewrite", "batch", "feedback")
_KEY_RE = re.compile(r"^tk_([0-9a-f]{12})_[A-Za-z0-9_-]{32,128}$")


class ApiKeyRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str
    digest: str
    scopes: tuple[Scope, ...] = ALL_SCOPES
    created_at: str
    revoked_at: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def public(self) -> dict[str, object]:
        """What `keys list` prints: never the digest."""
        return self.model_dump(mode="json", exclude={"digest"})


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id(presented: str) -> str | None:
    """The public id inside a well-formed key, else None."""
    match = _KEY_RE.match(presented)
    return match.group(1) if match else None


def matches(record: ApiKeyRecord, presented: str) -> bool:
    """Constant-time comparison of digests (no early exit on the first differing byte)."""
    return hmac.compare_digest(record.digest, digest(presented))


def new_key(name: str, scopes: tuple[Scope, ...] = ALL_SCOPES) -> tuple[str, ApiKeyRecord]:
    ident = secrets.token_hex(6)
    plaintext = f"tk_{ident}_{secrets.token_urlsafe(32)}"
    record = ApiKeyRecord(
        id=ident, name=name, digest=digest(plaintext), scopes=scopes, created_at=_now()
    )
    return plaintext, record


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class KeyStore(Protocol):
    async def add(self, record: ApiKeyRecord) -> None: ...

    async def get(self, ident: str) -> ApiKeyRecord | None: ...

    async def revoke(self, ident: str) -> bool: ...

    async def all(self) -> list[ApiKeyRecord]: ...


class RedisKeyStore:
    """Records in one hash (immutable once written); revocations in another (HSETNX)."""

    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self._records = shared.keys.key("keys")
        self._revoked = shared.keys.key("keys", "revoked")

    async def add(self, record: ApiKeyRecord) -> None:
        blob = record.model_dump_json()
        await self._shared.call(lambda r: r.hsetnx(self._records, record.id, blob))

    async def get(self, ident: str) -> ApiKeyRecord | None:
        async def read(r: Redis) -> list[bytes | None]:
            pipe = r.pipeline(transaction=False)
            pipe.hget(self._records, ident)
            pipe.hget(self._revoked, ident)
            out: list[bytes | None] = await pipe.execute()
            return out

        raw, revoked = await self._shared.call(read)
        if raw is None:
            return None
        record = ApiKeyRecord.model_validate_json(raw)
        if revoked is not None:
            record = record.model_copy(update={"revoked_at": revoked.decode()})
        return record

    async def revoke(self, ident: str) -> bool:
        if await self.get(ident) is None:
            return False
        await self._shared.call(lambda r: r.hsetnx(self._revoked, ident, _now()))
        return True

    async def all(self) -> list[ApiKeyRecord]:
        raw: dict[Any, Any] = await self._shared.call(lambda r: r.hgetall(self._records))
        revoked: dict[Any, Any] = await self._shared.call(lambda r: r.hgetall(self._revoked))
        out = []
        for ident, blob in raw.items():
            record = ApiKeyRecord.model_validate_json(blob)
            if (when := revoked.get(ident)) is not None:
                record = record.model_copy(update={"revoked_at": when.decode()})
            out.append(record)
        return sorted(out, key=lambda r: r.created_at)


class FileKeyStore:
    """Keys for a single process without Redis: one JSON file, replaced atomically."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)

    def _load(self) -> list[ApiKeyRecord]:
        """Every record; an absent file is an empty store, an unreadable or malformed one is
        `StoreUnavailable` (authentication then fails closed instead of answering 500).
        """
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(f"API keys file unreadable: {type(exc).__name__}") from exc
        try:
            return [ApiKeyRecord.model_validate(item) for item in data.get("keys", [])]
        except (AttributeError, ValueError) as exc:
            raise StoreUnavailable(f"API keys file malformed: {type(exc).__name__}") from exc

    def _save(self, records: list[ApiKeyRecord]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"keys": [r.model_dump(mode="json") for r in records]}
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".keys-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self._path)

    async def add(self, record: ApiKeyRecord) -> None:
        self._save([*self._load(), record])

    async def get(self, ident: str) -> ApiKeyRecord | None:
        return next((r for r in self._load() if r.id == ident), None)

    async def revoke(self, ident: str) -> bool:
        records = self._load()
        found = False
        for i, record in enumerate(records):
            if record.id == ident:
                found = True
                if not record.revoked:
                    records[i] = record.model_copy(update={"revoked_at": _now()})
        if found:
            self._save(records)
        return found

    async def all(self) -> list[ApiKeyRecord]:
        return self._load()


def key_store_for(shared: SharedState, keys_file: str | None) -> KeyStore | None:
    """Redis when configured, else the keys file, else None (no keys: loopback only)."""
    if shared.redis is not None:
        return RedisKeyStore(shared)
    if keys_file:
        return FileKeyStore(keys_file)
    return None

"""Batch records in Redis: items in, one result per item index out, counted exactly once.

Layout (all under the deployment prefix, all expiring with the batch TTL):
`batch:<id>` (hash: owner, total, done, failed, created_at, finished_at),
`batch:<id>:items` (index -> RewriteRequest JSON) and `batch:<id>:results`
(index -> result JSON). A result is written with HSETNX inside one Lua script
that also bumps the counters, so a retried or duplicated delivery of an item
can never produce a second result or count twice.

That alone would still let two workers *run* one item at once (a sweep or a
redelivery while the first is mid-call: two model calls, double the cost).
So a run first claims the item: `batch:<id>:claim:<index>` holds the run's
token with a lease (SET NX PX, in Lua so claim, renewal and release each
compare the token atomically). The heartbeat renews the lease; a killed
worker's lease lapses and the next delivery takes the item over.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from service.models import RewriteRequest
from service.store import SharedState

_RECORD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local ttl = redis.call('TTL', KEYS[2])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
local done = redis.call('HINCRBY', KEYS[2], 'done', 1)
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[2], 'failed', 1) end
if done >= tonumber(redis.call('HGET', KEYS[2], 'total')) then
  redis.call('HSET', KEYS[2], 'finished_at', ARGV[4])
end
return 1
"""

# Claim (or renew our own claim on) an item: ARGV = token, lease ms.
_CLAIM = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
"""

# Release an item only if we still hold it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class BatchRequest(BaseModel):
    """POST /v1/rewrite-batches: up to 500 rewrite requests, processed by workers."""

    model_config = ConfigDict(extra="forbid")

    items: list[RewriteRequest] = Field(min_length=1, max_length=500)


def new_batch_id() -> str:
    return f"bt_{uuid.uuid4().hex}"


class BatchStore:
    def __init__(self, shared: SharedState, *, ttl_s: int) -> None:
        self._shared = shared
        self._ttl = ttl_s
        self._record: Any = None
        self._claim: Any = None
        self._release: Any = None

    def _meta(self, batch_id: str) -> str:
        return self._shared.keys.key("batch", batch_id)

    async def create(self, batch_id: str, owner: str, items: list[RewriteRequest]) -> None:
        """Write the batch atomically (MULTI), before any job can look for it."""
        meta = self._meta(batch_id)
        mapping: dict[Any, Any] = {str(i): item.model_dump_json() for i, item in enumerate(items)}

        async def run(r: Redis) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.hset(
                meta,
                mapping={
                    "owner": owner,
                    "total": len(items),
                    "done": 0,
                    "failed": 0,
                    "created_at": _now(),
                },
            )
            pipe.hset(f"{meta}:items", mapping=mapping)
            pipe.expire(meta, self._ttl)
            pipe.expire(f"{meta}:items", self._ttl)
            await pipe.execute()

        await self._shared.call(run)

    async def item(self, batch_id: str, index: int) -> RewriteRequest | None:
        raw: Any = await self._shared.call(
            lambda r: r.hget(f"{self._meta(batch_id)}:items", str(index))
        )
        return None if raw is None else RewriteRequest.model_validate_json(raw)

    async def owner(self, batch_id: str) -> str | None:
        """Who created the batch ("key:<id>"), None once it has expired."""
        raw: Any = await self._shared.call(lambda r: r.hget(self._meta(batch_id), "owner"))
        return raw.decode() if isinstance(raw, bytes) else None

    async def has_result(self, batch_id: str, index: int) -> bool:
        found: Any = await self._shared.call(
            lambda r: r.hexists(f"{self._meta(batch_id)}:results", str(index))
        )
        return bool(found)

    def _claim_key(self, batch_id: str, index: int) -> str:
        return f"{self._meta(batch_id)}:claim:{index}"

    async def claim(self, batch_id: str, index: int, token: str, *, lease_s: float) -> bool:
        """Hold the item for `lease_s` (or extend our hold); False if another run holds it."""
        key = self._claim_key(batch_id, index)

        async def run(r: Redis) -> Any:
            if self._claim is None:
                self._claim = r.register_script(_CLAIM)
            return await self._claim(keys=[key], args=[token, max(1, int(lease_s * 1000))])

        return bool(await self._shared.call(run))

    async def release(self, batch_id: str, index: int, token: str) -> None:
        key = self._claim_key(batch_id, index)

        async def run(r: Redis) -> Any:
            if self._release is None:
                self._release = r.register_script(_RELEASE)
            return await self._release(keys=[key], args=[token])

        await self._shared.call(run)

    async def record(self, batch_id: str, index: int, result: dict[str, Any]) -> bool:
        """Store an item's result once; False if another delivery already did."""
        meta = self._meta(batch_id)
        failed = "1" if result.get("status") == "failed" else "0"
        blob = json.dumps({"index": index, **result}, ensure_ascii=False)

        async def run(r: Redis) -> Any:
            if self._record is None:
                self._record = r.register_script(_RECORD)
            return await self._record(
                keys=[f"{meta}:results", meta], args=[str(index), blob, failed, _now()]
            )

        return bool(await self._shared.call(run))

    async def status(self, batch_id: str, owner: str) -> dict[str, Any] | None:
        """Progress and results, or None if unknown, expired, or someone else's."""
        meta = self._meta(batch_id)

        async def run(r: Redis) -> list[Any]:
            pipe = r.pipeline(transaction=True)
            pipe.hgetall(meta)
            pipe.hgetall(f"{meta}:results")
            out: list[Any] = await pipe.execute()
            return out

        info, results = await self._shared.call(run)
        fields = {k.decode(): v.decode() for k, v in info.items()}
        if not fields or fields.get("owner") != owner:
            return None
        total, done, failed = int(fields["total"]), int(fields["done"]), int(fields["failed"])
        rows = sorted((json.loads(v) for v in results.values()), key=lambda x: x["index"])
        return {
            "id": batch_id,
            "status": "completed" if done >= total else "running" if done else "queued",
            "total": total,
            "completed": done,
            "succeeded": done - failed,
            "failed": failed,
            "created_at": fields.get("created_at"),
            "finished_at": fields.get("finished_at"),
            "results": rows,
        }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

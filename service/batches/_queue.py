"""The batch queue: SAQ on the deployment's Redis, one job per batch item.

Why SAQ (over arq): it is maintained and typed, it supports heartbeats (a
worker killed mid-item is detected within `batch_heartbeat_s` and its item is
retried by another worker), deduplicates jobs by key, and works with redis-py
5+ (arq pins redis<6 and conflicts with the client we use).
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from saq.job import Job, Status
from saq.queue.redis import RedisQueue
from saq.utils import now

from service.settings import Settings
from service.store import SharedState

JOB_FUNCTION = "rewrite_item"


class BatchQueue(RedisQueue):
    """SAQ's Redis queue with a short sweep lock, so dead workers' items come back fast.

    A worker takes a job by moving it into the active list and only then marks it
    active; SAQ 0.26 sweeps every job it finds there that is not marked active. A
    sweep landing between the two (any worker's: they sweep on a timer) took a job
    that was being started: the job ran anyway, outside every list, and when its
    worker was then killed nothing ever brought it back (the killed-worker batch test
    lost one item now and then). So a job found there still queued is left alone the
    first time this process's sweep sees it, and swept only when a later sweep finds
    it still so: a job being started is marked active within milliseconds.
    """

    sweep_lock_s: int = 5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sweeping = False
        self._seen_queued: set[str] = set()  # queued jobs in the active list at the last sweep
        self._queued_now: set[str] = set()

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        self._sweeping, self._queued_now = True, set()
        try:
            return await super().sweep(lock=self.sweep_lock_s, abort=1.0)
        finally:
            self._sweeping, self._seen_queued = False, self._queued_now

    def deserialize(
        self, payload: dict[str, Any] | str | bytes | None, status: Status | str | None = None
    ) -> Job | None:
        job = super().deserialize(payload, status)
        if (
            self._sweeping
            and job is not None
            and job.status == Status.QUEUED
            and job.id not in self._seen_queued
        ):
            # First sighting: read as just started, so this sweep passes it by.
            self._queued_now.add(job.id)
            job.status = Status.ACTIVE
            job.started = job.touched = now()
        return job


def queue_name(settings: Settings) -> str:
    return f"{settings.redis_prefix}:batches"


def make_queue(redis: Redis, settings: Settings) -> BatchQueue:
    queue = BatchQueue(redis, name=queue_name(settings))
    queue.sweep_lock_s = settings.worker_sweep_s
    return queue


def item_timeout_s(settings: Settings) -> int:
    """A first call, a repair round and variants, each bounded by the model deadline."""
    return int(settings.model_deadline_s * 3) + 30


async def enqueue_items(
    shared: SharedState, queue: BatchQueue, settings: Settings, batch_id: str, count: int
) -> None:
    """One job per item, keyed by (batch, index): enqueuing twice is a no-op."""
    timeout = item_timeout_s(settings)

    async def one(index: int) -> Any:
        return await queue.enqueue(
            JOB_FUNCTION,
            key=f"{batch_id}:{index}",
            batch_id=batch_id,
            index=index,
            retries=settings.batch_item_attempts,
            # Spaced retries (1 s, 2 s, 4 s ... capped at 30 s) so a short Redis or model
            # outage does not burn every attempt of an in-flight item within milliseconds.
            retry_delay=1.0,
            retry_backoff=30,
            heartbeat=settings.batch_heartbeat_s,
            timeout=timeout,
            ttl=settings.batch_ttl_s,
        )

    async def run(_: Redis) -> None:
        await asyncio.gather(*(one(i) for i in range(count)))

    await shared.call(run)

"""A job a worker has just taken is not swept before the worker marks it active.

SAQ moves a job into the active list when a worker takes it and marks it active
a moment later; a sweep (any worker's, on a timer) that lands in between used to
take the job as abandoned: it ran anyway, outside every list, and if its worker
was then killed nothing brought it back. Against the real Redis, the dequeue's
first half is done by hand (the job moved, not yet marked) and sweeps are run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from saq.job import Status

from service.batches._queue import JOB_FUNCTION, BatchQueue
from tests._redis_fixtures import REDIS_TEST_URL

pytestmark = pytest.mark.integration


@pytest.fixture
async def queue(prefix: str) -> AsyncIterator[BatchQueue]:
    redis = Redis.from_url(REDIS_TEST_URL)
    batch_queue = BatchQueue(redis, name=f"{prefix}:batches")
    try:
        yield batch_queue
    finally:
        await redis.aclose()


async def _taken_not_marked(queue: BatchQueue, key: str) -> str:
    job = await queue.enqueue(JOB_FUNCTION, key=key, timeout=60, heartbeat=30, retries=3)
    assert job is not None
    moved = await queue.redis.lmove(queue._queued, queue._active, "RIGHT", "LEFT")
    assert moved is not None
    assert moved.decode() == job.id
    return job.id


async def _sweep_now(queue: BatchQueue) -> list[str]:
    await queue.redis.delete(queue._sweep)  # the sweep lock: let this sweep run now
    return await queue.sweep()


async def test_a_job_being_started_survives_the_sweep_that_catches_it(queue: BatchQueue) -> None:
    job_id = await _taken_not_marked(queue, "bt_sweep:0")
    assert await _sweep_now(queue) == []
    active = [i.decode() for i in await queue.redis.lrange(queue._active, 0, -1)]
    assert active == [job_id]
    job = await queue.job("bt_sweep:0")
    assert job is not None
    assert job.status == Status.QUEUED  # untouched: nothing was written back


async def test_a_job_left_queued_in_the_active_list_is_swept_the_next_time(
    queue: BatchQueue,
) -> None:
    # A job that never gets marked (its worker died between the two steps) comes back.
    job_id = await _taken_not_marked(queue, "bt_sweep:1")
    assert await _sweep_now(queue) == []
    assert await _sweep_now(queue) == [job_id]
    assert await queue.redis.lrange(queue._active, 0, -1) == []

"""`tactful worker`: processes batch items from the queue, any number, on any machine.

Each item is idempotent: a result already stored for (batch, index) is never
recomputed or overwritten, so SAQ's at-least-once delivery (retries after a
crash, sweeps of stuck jobs) turns into exactly one result per item. And each
item runs once at a time: a run claims it first (`BatchStore.claim`, a lease
renewed by the heartbeat); a second delivery while the first runs waits for
that run's result, or for its lease to lapse if its worker died, instead of
paying for a second model call. Only the batch id and item index travel in
the job: request bodies stay in Redis and out of the queue's logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, cast

from saq import Worker
from saq.types import Context, PartialTimersDict

from service.batches._queue import JOB_FUNCTION, make_queue
from service.batches._store import BatchStore
from service.observability import MetricsObserver, metrics
from service.pipeline import Rewriter
from service.runtime import open_runtime
from service.settings import Settings
from service.store import RewriteOwners, SharedState, owners_for, redis_client

_log = logging.getLogger("tactful.worker")


class ItemFailed(Exception):
    """Raised to make SAQ retry an item; carries only the original exception's type."""


class WorkerContext(Context, total=False):
    batches: BatchStore
    rewriter: Rewriter
    settings: Settings
    owners: RewriteOwners  # each result's rewrite id is recorded as its batch owner's


async def _heartbeat(job: Any, every_s: float, renew: Callable[[], Awaitable[object]]) -> None:
    """Keep SAQ from sweeping the job and keep our claim on the item alive."""
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(Exception):
            await job.update()
        with contextlib.suppress(Exception):
            await renew()


async def _claim(
    store: BatchStore, batch_id: str, index: int, token: str, lease_s: float, poll_s: float
) -> bool:
    """True once this run holds the item; False if another run stored its result meanwhile."""
    waited = False
    while not await store.claim(batch_id, index, token, lease_s=lease_s):
        if not waited:
            waited = True
            _log.info(
                "batch item is running elsewhere, waiting for it",
                extra={"batch_id": batch_id, "index": index},
            )
        if await store.has_result(batch_id, index):
            return False
        await asyncio.sleep(poll_s)
    return not await store.has_result(batch_id, index)


async def rewrite_item(ctx: WorkerContext, *, batch_id: str, index: int) -> str:
    """Rewrite one item and store its result once. Returns what happened (for SAQ's record)."""
    store = ctx["batches"]
    settings = ctx["settings"]
    job = ctx["job"]
    if await store.has_result(batch_id, index):
        return "duplicate"
    request = await store.item(batch_id, index)
    if request is None:
        return "expired"
    token = uuid.uuid4().hex  # this run, not this worker: a redelivery to us is another run
    lease_s = float(settings.batch_heartbeat_s)
    every_s = max(0.5, settings.batch_heartbeat_s / 3)
    beat = asyncio.create_task(
        _heartbeat(job, every_s, lambda: store.claim(batch_id, index, token, lease_s=lease_s))
    )
    try:
        if not await _claim(store, batch_id, index, token, lease_s, poll_s=min(1.0, every_s)):
            metrics().batch_items.labels(status="duplicate").inc()
            return "duplicate"
        try:
            # The batch's owner is the tenant: its cache entries, and its rewrite ids.
            owner = await store.owner(batch_id)
            response = await ctx["rewriter"].rewrite(request, tenant=owner)
            if owner is not None and (owners := ctx.get("owners")) is not None:
                await owners.record(response.id, owner)
        except Exception as exc:
            if job.retries > job.attempts:
                _log.warning(
                    "batch item failed, will retry",
                    extra={"batch_id": batch_id, "index": index, "error": type(exc).__name__},
                )
                # A bare exception type for SAQ to log and store: the original message or
                # traceback could quote the draft.
                raise ItemFailed(type(exc).__name__) from None
            result: dict[str, Any] = {"status": "failed", "error": type(exc).__name__}
        else:
            result = {"status": "succeeded", "response": response.model_dump(mode="json")}
        stored = await store.record(batch_id, index, result)
    finally:
        beat.cancel()
        with contextlib.suppress(Exception):  # an unreleased claim lapses with its lease
            await store.release(batch_id, index, token)
    metrics().batch_items.labels(status=result["status"] if stored else "duplicate").inc()
    return result["status"] if stored else "duplicate"


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; in-flight items finish or are retried elsewhere."""
    if not settings.redis_url:
        raise SystemExit("tactful worker needs REDIS_URL: batches live in Redis.")
    async with AsyncExitStack() as stack:
        # The queue blocks on dequeue, so it gets a client without a read timeout.
        queue_redis = redis_client(settings.redis_url, timeout_s=None, max_connections=50)
        stack.push_async_callback(queue_redis.aclose)
        runtime = await stack.enter_async_context(
            open_runtime(settings, observer=MetricsObserver())
        )
        shared: SharedState = runtime.shared
        queue = make_queue(queue_redis, settings)
        batches = BatchStore(shared, ttl_s=settings.batch_ttl_s)

        async def startup(ctx: WorkerContext) -> None:
            ctx["batches"] = batches
            ctx["rewriter"] = runtime.rewriter
            ctx["settings"] = settings
            ctx["owners"] = owners_for(shared, ttl_s=settings.feedback_window_s)

        # SAQ's PartialTimersDict inherits required keys; every timer is optional at run time.
        timers = cast(PartialTimersDict, {"sweep": settings.worker_sweep_s})

        worker: Worker[WorkerContext] = Worker(
            queue,
            functions=[(JOB_FUNCTION, rewrite_item)],
            concurrency=settings.worker_concurrency,
            startup=startup,
            timers=timers,
            shutdown_grace_period_s=10,
            # Idle dequeues return every second, so a stop does not wait out the grace period.
            dequeue_timeout=1.0,
        )
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        _log.info(
            "worker started",
            extra={"queue": queue.name, "concurrency": settings.worker_concurrency},
        )
        task = asyncio.create_task(worker.start())
        waiter = asyncio.create_task(stopping.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        await worker.stop()
        waiter.cancel()
        if task.done() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
        _log.info("worker stopped")

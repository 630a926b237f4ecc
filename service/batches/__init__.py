"""Batches for CRMs: items stored in Redis, one SAQ job per item, any number of workers."""

from service.batches._queue import BatchQueue, enqueue_items, make_queue, queue_name
from service.batches._service import BatchService
from service.batches._store import BatchRequest, BatchStore, new_batch_id
from service.batches._worker import run_worker

__all__ = [
    "BatchQueue",
    "BatchRequest",
    "BatchService",
    "BatchStore",
    "enqueue_items",
    "make_queue",
    "new_batch_id",
    "queue_name",
    "run_worker",
]

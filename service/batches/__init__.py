"""Batches for CRMs: items stored in Redis, one SAQ job per item, any number of workers."""

from service.batches._queue import BatchQueue, enqueue_items, make_queue, queue_name
from service.batches._routes import BatchController, BatchService, batch_controller
from service.batches._store import BatchRequest, BatchStore, new_batch_id

__all__ = [
    "BatchController",
    "BatchQueue",
    "BatchRequest",
    "BatchService",
    "BatchStore",
    "batch_controller",
    "enqueue_items",
    "make_queue",
    "new_batch_id",
    "queue_name",
]

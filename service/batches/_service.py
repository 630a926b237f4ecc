"""The batch service: what the batch routes need, opened once per process."""

from __future__ import annotations

from dataclasses import dataclass

from service.batches._queue import BatchQueue
from service.batches._store import BatchStore
from service.settings import Settings
from service.store import SharedState


@dataclass(slots=True)
class BatchService:
    """The shared state, the item store and the queue of one deployment."""

    shared: SharedState
    store: BatchStore
    queue: BatchQueue
    settings: Settings

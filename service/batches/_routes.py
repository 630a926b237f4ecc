"""POST /v1/rewrite-batches (202 + job id) and GET /v1/rewrite-batches/{id} (progress)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from service.api.errors import problem
from service.batches._queue import BatchQueue, enqueue_items
from service.batches._store import BatchRequest, BatchStore, new_batch_id
from service.settings import Settings
from service.store import SharedState, StoreUnavailable


@dataclass(slots=True)
class BatchService:
    shared: SharedState
    store: BatchStore
    queue: BatchQueue
    settings: Settings


def _owner(request: Request[Any, Any, Any]) -> str:
    principal = request.scope.get("state", {}).get("tactful.principal")
    return getattr(principal, "subject", "anonymous")


def _unavailable(state: State) -> Response[Any] | None:
    if getattr(state, "batches", None) is None:
        return problem(503, "Batches need shared state: set REDIS_URL and run `tactful worker`.")
    return None


class BatchController(Controller):
    path = "/v1/rewrite-batches"
    tags = ["v1"]  # noqa: RUF012 - litestar reads a plain list

    @post("/", status_code=202, summary="Queue up to 500 rewrites for the workers")
    async def create_batch(
        self, data: JSONBody[BatchRequest], request: Request[Any, Any, Any], state: State
    ) -> Response[Any]:
        if (missing := _unavailable(state)) is not None:
            return missing
        svc: BatchService = state.batches
        if len(data.items) > svc.settings.batch_max_items:
            return problem(422, f"A batch holds at most {svc.settings.batch_max_items} items.")
        batch_id = new_batch_id()
        try:
            await svc.store.create(batch_id, _owner(request), data.items)
            await enqueue_items(svc.shared, svc.queue, svc.settings, batch_id, len(data.items))
        except StoreUnavailable:
            return problem(
                503, "The batch queue is unavailable; retry shortly.", headers={"Retry-After": "2"}
            )
        body = {
            "id": batch_id,
            "status": "queued",
            "total": len(data.items),
            "links": {"self": f"/v1/rewrite-batches/{batch_id}"},
        }
        return Response(
            body, status_code=202, headers={"Location": f"/v1/rewrite-batches/{batch_id}"}
        )

    @get("/{batch_id:str}", summary="Progress and results of a batch")
    async def get_batch(
        self, batch_id: FromPath[str], request: Request[Any, Any, Any], state: State
    ) -> Response[Any]:
        if (missing := _unavailable(state)) is not None:
            return missing
        svc: BatchService = state.batches
        try:
            found = await svc.store.status(batch_id, _owner(request))
        except StoreUnavailable:
            return problem(
                503, "Batch status is unavailable; retry shortly.", headers={"Retry-After": "2"}
            )
        if found is None:
            return problem(404, "No such batch (or it has expired).")
        return Response(found)


def batch_controller(settings: Settings) -> type[Controller]:
    """The controller with this deployment's (larger) body limit: 500 items exceed 64 KB."""
    return type(
        "BatchController",
        (BatchController,),
        {"request_max_body_size": settings.batch_max_body_bytes},
    )

"""POST /v1/rewrite-batches (202 + job id) and GET /v1/rewrite-batches/{id} (progress)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from service.api._state import AppRuntime
from service.batches import BatchRequest, BatchService, enqueue_items, new_batch_id
from service.errors import InvalidInput, NotFound, Unavailable
from service.settings import Settings
from service.store import StoreUnavailable


def _owner(request: Request[Any, Any, Any]) -> str:
    principal = request.scope.get("state", {}).get("tactful.principal")
    return getattr(principal, "subject", "anonymous")


def _require(batches: BatchService | None) -> BatchService:
    if batches is None:
        raise Unavailable(
            "Batches need shared state: set REDIS_URL and run `tactful worker`.",
            retry_after_s=None,
        )
    return batches


class BatchController(Controller):
    """Batches over HTTP; the workers do the rewriting."""

    path = "/v1/rewrite-batches"
    tags = ["v1"]  # noqa: RUF012 - litestar reads a plain list

    @post("/", status_code=202, summary="Queue up to 500 rewrites for the workers")
    async def create_batch(
        self,
        data: JSONBody[BatchRequest],
        request: Request[Any, Any, Any],
        app_runtime: NamedDependency[AppRuntime],
    ) -> Response[Any]:
        """Store the items and queue one job per item."""
        svc = _require(app_runtime.batches)
        if len(data.items) > svc.settings.batch_max_items:
            raise InvalidInput(f"A batch holds at most {svc.settings.batch_max_items} items.")
        batch_id = new_batch_id()
        try:
            await svc.store.create(batch_id, _owner(request), data.items)
            await enqueue_items(svc.shared, svc.queue, svc.settings, batch_id, len(data.items))
        except StoreUnavailable as exc:
            raise Unavailable("The batch queue is unavailable; retry shortly.") from exc
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
        self,
        batch_id: FromPath[str],
        request: Request[Any, Any, Any],
        app_runtime: NamedDependency[AppRuntime],
    ) -> Response[Any]:
        """The batch's progress, and each finished item's result."""
        svc = _require(app_runtime.batches)
        try:
            found = await svc.store.status(batch_id, _owner(request))
        except StoreUnavailable as exc:
            raise Unavailable("Batch status is unavailable; retry shortly.") from exc
        if found is None:
            raise NotFound("No such batch (or it has expired).")
        return Response(found)


def batch_controller(settings: Settings) -> type[Controller]:
    """The controller with this deployment's (larger) body limit: 500 items exceed 64 KB."""
    return type(
        "BatchController",
        (BatchController,),
        {"request_max_body_size": settings.batch_max_body_bytes},
    )

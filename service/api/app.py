"""The app factory: all wiring in one place, clients owned by the lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.pydantic import PydanticPlugin

from service import __version__
from service.api._memo import AnalyzeMemo
from service.api._state import (
    AppRuntime,
    provide_app_runtime,
    provide_rewriter,
)
from service.api.analyze import AnalyzeController
from service.api.batches import batch_controller
from service.api.catalogue import CatalogueController
from service.api.errors import EXCEPTION_HANDLERS
from service.api.feedback import create_feedback
from service.api.health import live, ready
from service.api.metrics import metrics_endpoint
from service.api.playground import openapi_render_plugins, playground_routes
from service.api.rewrites import RewritesController
from service.batches import BatchService, BatchStore, make_queue
from service.editor import warm_up
from service.llm import ChatModel
from service.observability import MetricsObserver, ModelProbe, RequestContextMiddleware
from service.runtime import open_runtime
from service.security import (
    IdempotencyMiddleware,
    JsonDepthMiddleware,
    SecurityMiddleware,
    security_state,
)
from service.settings import Settings, get_settings
from service.store import ResponseCache, feedback_for, owners_for

# Headers a browser extension must be able to read (CORS hides the others).
EXPOSED_HEADERS = [
    "X-Request-ID",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Idempotent-Replayed",
    "Location",
]


def create_app(
    settings: Settings | None = None,
    *,
    model: ChatModel | None = None,
    cache: ResponseCache | None = None,
    use_model: bool = True,
) -> Litestar:
    """Build the app. Tests pass a fake `model` (or `use_model=False`) and stores."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_runtime(
            settings, model=model, use_model=use_model, cache=cache, observer=MetricsObserver()
        ) as rt:
            # Middleware reads `security`; handlers get the rest by dependency injection.
            app.state.security = security_state(rt.shared, settings)
            app.state.runtime = AppRuntime(
                runtime=rt,
                feedback=feedback_for(rt.shared, settings.feedback_file),
                batches=(
                    BatchService(
                        rt.shared,
                        BatchStore(rt.shared, ttl_s=settings.batch_ttl_s),
                        make_queue(rt.shared.redis, settings),
                        settings,
                    )
                    if rt.shared.redis is not None
                    else None
                ),
                model_probe=(
                    ModelProbe(rt.model_endpoint, api_key=settings.openai_api_key)
                    if rt.model_endpoint
                    else None
                ),
                owners=owners_for(rt.shared, ttl_s=settings.feedback_window_s),
            )
            # Compile the lexicons and load the editor's data now, not on the first request
            # (a cold first rewrite took ~1.6 s on a busy machine).
            warm_up()
            # Everything built so far (modules, schemas, clients) lives as long as the
            # process: move it out of the cyclic GC's reach, so a full collection under
            # load scans only what requests allocate (bench/README.md: ~65 ms -> ~1 ms).
            gc.freeze()
            thresholds = gc.get_threshold()
            gc.set_threshold(*settings.gc_thresholds)
            try:
                yield
            finally:
                gc.set_threshold(*thresholds)
                gc.unfreeze()

    cors = (
        CORSConfig(allow_origins=list(settings.cors_origins), expose_headers=EXPOSED_HEADERS)
        if settings.cors_origins
        else None
    )
    return Litestar(
        route_handlers=[
            AnalyzeController,
            RewritesController,
            CatalogueController,
            live,
            ready,
            create_feedback,
            batch_controller(settings),
            metrics_endpoint,
            *playground_routes(),
        ],
        # Outermost first: request id + metrics + access log, auth + limits, JSON depth
        # (checked as the body is read), idempotency.
        middleware=[
            RequestContextMiddleware,
            SecurityMiddleware,
            DefineMiddleware(JsonDepthMiddleware, max_depth=settings.max_json_depth),
            IdempotencyMiddleware,
        ],
        dependencies={
            "app_runtime": Provide(provide_app_runtime, sync_to_thread=False),
            "rewriter": Provide(provide_rewriter, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        # Strict validation of request bodies: `true` or "3" is never an integer (422).
        plugins=[PydanticPlugin(validate_strict=True)],
        lifespan=[lifespan],
        cors_config=cors,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Tactful",
            version=__version__,
            path="/schema",
            render_plugins=openapi_render_plugins(),  # offline Swagger UI (playground.py)
        ),
        state=State({"analyze_memo": AnalyzeMemo(settings.analyze_memo_size)}),
        debug=False,
        # Logging is configured once per process (JSON, see service.observability);
        # Litestar's default config would replace it with a plain-text root handler.
        logging_config=None,
    )

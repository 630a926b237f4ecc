"""GET /metrics: the Prometheus text exposition of this process's registry."""

from __future__ import annotations

from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.observability import metrics


@get("/metrics", sync_to_thread=False, include_in_schema=False)
def metrics_endpoint() -> Response[bytes]:
    """Prometheus scrapes this."""
    return Response(generate_latest(metrics().registry), media_type=CONTENT_TYPE_LATEST)

"""GET /metrics: the Prometheus text exposition of this process's registry."""

from __future__ import annotations

from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.observability import metrics

# Litestar appends "; charset=utf-8" to every text/* media type itself, and the
# client's constant already carries one: without this the header names it twice.
MEDIA_TYPE = "; ".join(
    part.strip()
    for part in CONTENT_TYPE_LATEST.split(";")
    if not part.strip().lower().startswith("charset=")
)


@get("/metrics", sync_to_thread=False, include_in_schema=False)
def metrics_endpoint() -> Response[bytes]:
    """Prometheus scrapes this."""
    return Response(generate_latest(metrics().registry), media_type=MEDIA_TYPE)

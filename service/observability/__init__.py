"""Observability: Prometheus metrics, the pipeline observer, JSON logs with request ids."""

from service.observability._logging import JsonFormatter, configure_logging, request_id_var
from service.observability._metrics import Metrics, metrics
from service.observability._middleware import RequestContextMiddleware
from service.observability._observer import MetricsObserver
from service.observability._probe import ModelProbe
from service.observability._readiness import DEGRADED_MODEL_STATES, model_checks

__all__ = [
    "DEGRADED_MODEL_STATES",
    "JsonFormatter",
    "Metrics",
    "MetricsObserver",
    "ModelProbe",
    "RequestContextMiddleware",
    "configure_logging",
    "metrics",
    "model_checks",
    "request_id_var",
]

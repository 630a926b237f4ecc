"""`/metrics`: a clean content type, no phantom fallbacks, buckets past every deadline."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.observability import metrics
from service.settings import Settings

pytestmark = pytest.mark.unit


async def test_content_type_names_one_charset(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    response = await composer_client.get("/metrics")
    assert response.status_code == 200
    content_type = response.headers["content-type"]
    assert content_type.startswith("text/plain; version=")
    assert content_type.lower().count("charset=") == 1


def fallbacks() -> float:
    value = metrics().registry.get_sample_value(
        "tactful_store_fallbacks_total", {"what": "rate_limit"}
    )
    return value or 0.0


async def test_memory_mode_counts_no_store_fallback(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    """Without REDIS_URL, local rate limiting is the design, not a fallback."""
    before = fallbacks()
    draft = {"channel": "email", "subject": "Hi", "body": "Hello Dana, quick question."}
    for _ in range(3):
        assert (await composer_client.post("/v1/analyze", json={"draft": draft})).status_code == 200
    assert fallbacks() == before


def test_latency_buckets_reach_past_every_model_deadline() -> None:
    settings = Settings()
    longest = max(settings.model_deadline_s, settings.embedded_deadline_s)
    for histogram in (metrics().http_latency, metrics().model_latency):
        finite = [b for b in histogram._upper_bounds if b != float("inf")]
        assert max(finite) > longest

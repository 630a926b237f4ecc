"""How long and how hard each mode pushes: every loop below is bounded by these numbers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    duration_s: float  # one wrk / client measurement (wrk rounds to whole seconds, min 1)
    fast_duration_s: float  # analyze and cache hits: hundreds of requests per second
    warmup_s: float
    concurrencies: tuple[int, ...]  # analyze, repeat draft (memo)
    distinct_concurrencies: tuple[int, ...]  # analyze, typing and unrelated drafts
    quickstart_concurrencies: tuple[int, ...]  # README quick start: rewrites, no model
    cached_concurrencies: tuple[int, ...]
    rewrite_points: tuple[tuple[int, int], ...]  # (stub delay ms, concurrency)
    rewrite_distinct: int  # distinct rewrite requests prepared (bench/_rewrites.py)
    transport_concurrencies: tuple[int, ...]  # bare client, 50 ms stub
    transports: tuple[str, ...]
    app_transport_concurrencies: tuple[int, ...]  # the app on httpx vs aiohttp, 50 ms stub
    analysis_calls: int
    burst: int
    burst_delay_ms: int
    burst_timeout_s: float  # the burst's deadline: requests still running then are errors
    burst_aiohttp_app: bool  # also burst an app built on the aiohttp transport
    burst_client_transports: tuple[str, ...]  # the same burst from the bare client
    embedded_requests: int
    embedded_token_samples: int
    workers: tuple[int, ...]
    scaling_concurrency: int
    scaling_cached: bool  # also measure cached rewrites per worker count
    repeats: int  # each comparison point is measured this many times, interleaved; best kept
    budget_s: float  # the whole run; scenarios late in the run shrink or skip to respect it
    embedded_cap_s: float  # the embedded-model scenario, start-up included
    client_warmup_cap_s: float  # opening a big pool is bounded too


QUICK = Plan(
    name="quick",
    duration_s=2.0,
    fast_duration_s=1.0,
    warmup_s=1.0,
    concurrencies=(1, 16),
    distinct_concurrencies=(1, 16),
    quickstart_concurrencies=(1,),
    cached_concurrencies=(1, 16),
    rewrite_points=((0, 1), (0, 16), (50, 1)),
    rewrite_distinct=1000,
    transport_concurrencies=(400,),
    transports=("httpx", "aiohttp"),
    app_transport_concurrencies=(),
    analysis_calls=1000,
    burst=1000,
    burst_delay_ms=2000,
    burst_timeout_s=8,
    burst_aiohttp_app=False,
    burst_client_transports=(),
    embedded_requests=2,
    embedded_token_samples=1,
    workers=(1, 2),
    scaling_concurrency=16,
    scaling_cached=False,
    repeats=1,
    budget_s=170,
    embedded_cap_s=30,
    client_warmup_cap_s=2,
)

FULL = Plan(
    name="full",
    duration_s=4.0,
    fast_duration_s=3.0,
    warmup_s=1.0,
    concurrencies=(1, 16, 64),
    distinct_concurrencies=(1, 16, 64),
    quickstart_concurrencies=(1, 16),
    cached_concurrencies=(1, 16, 64),
    rewrite_points=((0, 1), (0, 16), (0, 64), (50, 1), (50, 16), (50, 64)),
    rewrite_distinct=1974,
    transport_concurrencies=(64, 400, 1000),
    transports=("httpx", "httpx2", "aiohttp"),
    app_transport_concurrencies=(64, 400),
    analysis_calls=10000,
    burst=1000,
    burst_delay_ms=2000,
    burst_timeout_s=20,
    burst_aiohttp_app=True,
    burst_client_transports=("httpx", "aiohttp"),
    embedded_requests=10,
    embedded_token_samples=3,
    workers=(1, 2, 4),
    scaling_concurrency=16,
    scaling_cached=True,
    repeats=2,
    budget_s=840,
    embedded_cap_s=180,
    client_warmup_cap_s=15,
)

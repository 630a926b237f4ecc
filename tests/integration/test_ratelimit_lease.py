"""Token leases for large rate limits, against the real Redis on loopback.

A process may take several GCRA tokens in one round trip and spend them for a
short while; these tests prove that limits still hold (across two "replicas"
with their own pools), that small limits stay exact, and that the headers
stay meaningful. Time is a fake clock, never a sleep: nothing here is timed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from service.security._ratelimit import LEASE_S, MAX_LEASE, Limit, RateLimiter, lease_cap
from service.store import SharedState, open_shared
from tests._redis_fixtures import CLOSED_REDIS_URL, redis_settings, unique_prefix
from tests.conftest import DANA_CONTEXT, PUSHY_DRAFT

pytestmark = pytest.mark.integration

# One token a minute: no token comes back while a test runs, so counts are exact.
SLOW = Limit("analyze", per_min=1, burst=60)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingLimiter(RateLimiter):
    """Counts the atomic Redis calls (round trips) the limiter makes."""

    def __init__(self, shared: SharedState, clock: Clock) -> None:
        super().__init__(shared, clock=clock)
        self.round_trips = 0

    async def _take(self, key: str, limit: Limit, want: int) -> list[Any] | None:
        self.round_trips += 1
        return await super()._take(key, limit, want)


def test_lease_sizes() -> None:
    assert lease_cap(Limit("rewrite", 60, 10)) == 1  # the rewrite default stays exact
    assert lease_cap(Limit("x", 60, 19)) == 1
    assert lease_cap(Limit("default", 120, 30)) == 3
    assert lease_cap(Limit("analyze", 600, 60)) == 6
    assert lease_cap(Limit("huge", 1e9, 10**9)) == MAX_LEASE
    assert LEASE_S <= 0.25  # the overshoot bound in docs/operations.md assumes it


async def test_one_replica_gets_exactly_the_burst(shared: SharedState) -> None:
    clock = Clock()
    limiter = CountingLimiter(shared, clock)
    decisions = [await limiter.check(SLOW, "key:a") for _ in range(70)]
    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 60
    assert all(not d.allowed for d in decisions[60:])
    # Remaining counts down one by one, as without leases.
    assert [d.remaining for d in allowed] == list(range(59, -1, -1))
    assert all(d.limit == 60 and d.shared for d in decisions)
    # Far fewer round trips than requests: leases of 1, 2, 4, 6, 6, ...
    assert limiter.round_trips < 20
    denied = decisions[-1]
    assert denied.retry_after_s >= 1
    assert denied.headers()["Retry-After"] == str(denied.retry_after_s)
    assert denied.remaining == 0


async def test_two_replicas_never_exceed_the_limit_together(prefix: str) -> None:
    clock = Clock()
    async with open_shared(redis_settings(prefix)) as a, open_shared(redis_settings(prefix)) as b:
        first, second = CountingLimiter(a, clock), CountingLimiter(b, clock)
        decisions = [
            await (first if i % 3 else second).check(SLOW, "key:shared") for i in range(200)
        ]
    allowed = sum(d.allowed for d in decisions)
    # Never more than the burst; at most (lease - 1) tokens per replica sit unspent.
    assert allowed <= 60
    assert allowed >= 60 - 2 * (lease_cap(SLOW) - 1)


async def test_concurrent_requests_share_one_lease_request(shared: SharedState) -> None:
    clock = Clock()
    limiter = CountingLimiter(shared, clock)
    decisions = await asyncio.gather(*(limiter.check(SLOW, "key:c") for _ in range(100)))
    assert sum(d.allowed for d in decisions) == 60
    assert limiter.round_trips < 30


async def test_small_limits_stay_exact(shared: SharedState) -> None:
    clock = Clock()
    limiter = CountingLimiter(shared, clock)
    limit = Limit("rewrite", per_min=1, burst=10)
    decisions = [await limiter.check(limit, "key:r") for _ in range(12)]
    assert [d.allowed for d in decisions] == [True] * 10 + [False] * 2
    assert [d.remaining for d in decisions[:10]] == list(range(9, -1, -1))
    assert limiter.round_trips == 12  # one atomic check per request, no lease


async def test_an_expired_lease_is_never_spent_and_shrinks(shared: SharedState) -> None:
    clock = Clock()
    limiter = CountingLimiter(shared, clock)
    first = await limiter.check(SLOW, "key:e")  # lease of 1
    second = await limiter.check(SLOW, "key:e")  # ran out while valid: lease of 2
    assert (first.remaining, second.remaining) == (59, 58)
    assert limiter.round_trips == 2
    clock.now += LEASE_S + 0.01  # the second lease expires with 1 token unspent
    third = await limiter.check(SLOW, "key:e")
    assert limiter.round_trips == 3
    # That token is lost (stricter, never looser): 4 taken from Redis, 3 spent.
    assert third.allowed
    assert third.remaining == 56


async def test_a_denial_is_remembered_until_retry(shared: SharedState) -> None:
    clock = Clock()
    limiter = CountingLimiter(shared, clock)
    for _ in range(60):
        assert (await limiter.check(SLOW, "key:d")).allowed
    denied = await limiter.check(SLOW, "key:d")
    assert not denied.allowed
    trips = limiter.round_trips
    again = await limiter.check(SLOW, "key:d")
    assert not again.allowed
    assert limiter.round_trips == trips  # answered locally: no token can exist before retry
    assert again.headers()["Retry-After"] == denied.headers()["Retry-After"]
    assert int(again.headers()["Retry-After"]) >= 1
    clock.now += LEASE_S  # a denial is remembered for LEASE_S at most: ask Redis again
    assert not (await limiter.check(SLOW, "key:d")).allowed
    assert limiter.round_trips == trips + 1


async def test_subjects_and_limits_have_their_own_leases(shared: SharedState) -> None:
    clock = Clock()
    limiter = CountingLimiter(shared, clock)
    for _ in range(60):
        await limiter.check(SLOW, "key:x")
    assert not (await limiter.check(SLOW, "key:x")).allowed
    assert (await limiter.check(SLOW, "key:y")).allowed
    other = Limit("default", per_min=1, burst=30)
    assert (await limiter.check(other, "key:x")).allowed


async def test_lease_bookkeeping_is_bounded(shared: SharedState) -> None:
    clock = Clock()
    limiter = RateLimiter(shared, clock=clock, max_subjects=10)
    for i in range(30):
        assert (await limiter.check(SLOW, f"key:{i}")).allowed
        assert len(limiter._leases) <= 10
    clock.now += LEASE_S
    assert (await limiter.check(SLOW, "key:new")).allowed
    assert len(limiter._leases) <= 10


async def test_redis_down_falls_back_to_the_process() -> None:
    settings = redis_settings(unique_prefix()).model_copy(update={"redis_url": CLOSED_REDIS_URL})
    async with open_shared(settings) as down:
        limiter = RateLimiter(down)
        decisions = [await limiter.check(SLOW, "key:z") for _ in range(61)]
    assert not any(d.shared for d in decisions)
    assert sum(d.allowed for d in decisions) == 60


async def test_http_limit_with_leases_still_answers_429(prefix: str) -> None:
    settings = redis_settings(prefix, rate_analyze_burst=20, rate_analyze_per_min=1)
    app = create_app(settings, use_model=False)
    body = {
        "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
        "context": DANA_CONTEXT,
    }
    async with AsyncTestClient(app=app) as client:
        # The same limiter on a fake clock, so a slow machine cannot expire a lease.
        app.state.security.limiter = RateLimiter(app.state.runtime.shared, clock=Clock())
        responses = [await client.post("/v1/analyze", json=body) for _ in range(22)]
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 20 + [429] * 2
    remaining = [int(r.headers["RateLimit-Remaining"]) for r in responses[:20]]
    assert remaining == list(range(19, -1, -1))
    limited = responses[-1]
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["RateLimit-Limit"] == "20"

"""Fixtures shared by the integration tests: a Redis key prefix of their own, a SharedState."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from service.store import SharedState, open_shared
from tests._redis_fixtures import cleanup, redis_settings, unique_prefix


@pytest.fixture
def prefix() -> Iterator[str]:
    """A fresh key prefix on the test Redis, deleted afterwards."""
    value = unique_prefix()
    yield value
    cleanup(value)


@pytest.fixture
async def shared(prefix: str) -> AsyncIterator[SharedState]:
    async with open_shared(redis_settings(prefix)) as state:
        yield state

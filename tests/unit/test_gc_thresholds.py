"""The app sets the cyclic GC's thresholds while it runs and puts Python's back after."""

from __future__ import annotations

import gc

import pytest
from litestar.testing import AsyncTestClient

from service.settings import settings_from_env
from tests.conftest import make_app

pytestmark = pytest.mark.unit


async def test_the_app_runs_with_its_gc_thresholds_and_restores_them() -> None:
    before = gc.get_threshold()
    settings = settings_from_env({"TACTFUL_GC_THRESHOLDS": "12345,17,19"})
    async with AsyncTestClient(app=make_app(settings)) as client:
        assert (await client.get("/health/live")).status_code == 200
        assert gc.get_threshold() == (12345, 17, 19)
    assert gc.get_threshold() == before

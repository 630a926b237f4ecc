"""POST /v1/rewrites through the real OpenAI adapter, with the upstream mocked by respx.

These tests cover what a user sees when the model endpoint misbehaves: every
failure mode ends in a guarded message, and the response says where it came from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from service.llm import OpenAIChatModel, build_openai_client
from service.settings import Settings
from tests.conftest import BAD_ANSWER, DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = pytest.mark.unit

BASE = "http://upstream.test/v1"
COMPLETIONS = f"{BASE}/chat/completions"
REQUEST = {
    "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
    "context": DANA_CONTEXT,
}


def completion(text: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": text},
            }
        ],
        "usage": {"prompt_tokens": 200, "completion_tokens": 80, "total_tokens": 280},
    }


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def upstream() -> Iterator[respx.MockRouter]:
    """Every outgoing request is mocked, except the test client's own calls into the app."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.route(host="testserver.local").pass_through()
        yield router


@pytest.fixture
async def client(upstream: respx.MockRouter) -> AsyncIterator[AsyncTestClient[Litestar]]:
    openai_client = build_openai_client(
        base_url=BASE,
        api_key="sk-test",
        timeout_s=2.0,
        max_connections=4,
        http_client=httpx.AsyncClient(),
    )
    model = OpenAIChatModel(
        client=openai_client, model="test-model", deadline_s=10, max_attempts=3, sleep=no_sleep
    )
    app = create_app(Settings(embedded_model="off"), model=model)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
    await openai_client.close()


async def test_good_upstream_answer_is_delivered(
    client: AsyncTestClient[Litestar], upstream: respx.MockRouter
) -> None:
    route = upstream.post(COMPLETIONS).mock(
        return_value=httpx.Response(200, json=completion(GOOD_ANSWER))
    )
    data = (await client.post("/v1/rewrites", json=REQUEST)).json()
    assert route.call_count == 1
    assert data["source"] == "model"
    assert data["model"] == "test-model"
    assert data["usage"]["total_tokens"] == 280
    sent = route.calls[0].request
    assert sent.headers["authorization"] == "Bearer sk-test"


async def test_bad_then_good_upstream_answer_is_repaired(
    client: AsyncTestClient[Litestar],
    upstream: respx.MockRouter,
) -> None:
    route = upstream.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(200, json=completion(BAD_ANSWER)),
            httpx.Response(200, json=completion(GOOD_ANSWER)),
        ]
    )
    data = (await client.post("/v1/rewrites", json=REQUEST)).json()
    assert route.call_count == 2
    assert data["source"] == "model"
    assert data["repaired"] is True


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.Response(500, json={"error": {"message": "boom"}}), id="500"),
        pytest.param(
            httpx.Response(
                429, headers={"retry-after": "0"}, json={"error": {"message": "slow down"}}
            ),
            id="429",
        ),
        pytest.param(httpx.ReadTimeout("slow"), id="timeout"),
        pytest.param(httpx.Response(200, text="<html>gateway</html>"), id="garbage"),
    ],
)
async def test_upstream_failures_are_retried_then_degrade_to_the_composer(
    client: AsyncTestClient[Litestar],
    upstream: respx.MockRouter,
    failure: httpx.Response | Exception,
) -> None:
    route = upstream.post(COMPLETIONS).mock(side_effect=[failure] * 3)
    response = await client.post("/v1/rewrites", json=REQUEST)
    assert response.status_code == 200
    data = response.json()
    assert route.call_count == 3  # our one retry layer: 3 attempts, no SDK retries on top
    assert data["source"] == "composer"
    assert "ModelUnavailable" in data["degraded_reason"]
    assert not any(f["severity"] == "error" for f in data["after"]["findings"])


async def test_upstream_recovers_within_the_retry_budget(
    client: AsyncTestClient[Litestar],
    upstream: respx.MockRouter,
) -> None:
    route = upstream.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json=completion(GOOD_ANSWER)),
        ]
    )
    data = (await client.post("/v1/rewrites", json=REQUEST)).json()
    assert route.call_count == 2
    assert data["source"] == "model"


async def test_truncated_upstream_answer_triggers_a_repair(
    client: AsyncTestClient[Litestar],
    upstream: respx.MockRouter,
) -> None:
    route = upstream.post(COMPLETIONS).mock(
        side_effect=[
            httpx.Response(200, json=completion(GOOD_ANSWER[:80], finish_reason="length")),
            httpx.Response(200, json=completion(GOOD_ANSWER)),
        ]
    )
    data = (await client.post("/v1/rewrites", json=REQUEST)).json()
    assert route.call_count == 2
    assert data["repaired"] is True

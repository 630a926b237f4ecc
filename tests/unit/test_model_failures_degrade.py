"""Whatever a model adapter raises, the caller gets a composed message, never a 500."""

from __future__ import annotations

import json

import pytest
import respx
from litestar.testing import AsyncTestClient

from service.llm import (
    FakeChatModel,
    ModelParams,
    ModelRejected,
    ModelUnavailable,
    OpenAIChatModel,
    build_openai_client,
)
from service.settings import Settings
from tests._llm_fixtures import BASE_URL, CHAT_URL, MESSAGES
from tests.conftest import DANA_CONTEXT, PUSHY_DRAFT, make_app

pytestmark = pytest.mark.unit

REQUEST = {
    "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
    "context": DANA_CONTEXT,
}


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        pytest.param(RuntimeError("adapter bug"), "failed unexpectedly (RuntimeError)", id="bug"),
        pytest.param(
            ModelUnavailable("x", reason="The model did not answer within 2 s."),
            "did not answer within 2 s",
            id="timeout",
        ),
        pytest.param(
            ModelRejected("x", reason="The model endpoint refused the request (HTTP 401)."),
            "HTTP 401",
            id="refused",
        ),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_any_model_failure_degrades_with_its_true_reason(
    failure: Exception, reason: str, stream: bool
) -> None:
    app = make_app(Settings(embedded_model="off"), FakeChatModel([failure]))
    headers = {"accept": "text/event-stream"} if stream else {}
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/v1/rewrites", json=REQUEST, headers=headers)
    assert response.status_code == 200
    if stream:
        events = [ln for ln in response.text.splitlines() if ln.startswith("event:")]
        assert events[-1] == "event: result"
        data = json.loads(response.text.strip().splitlines()[-1].partition(":")[2])
    else:
        data = response.json()
    assert data["source"] == "composer"
    assert reason in data["degraded_reason"]
    assert "could not be reached" not in data["degraded_reason"]


async def test_an_unexpected_transport_exception_becomes_model_unavailable(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(CHAT_URL).mock(side_effect=KeyError("weird"))
    client = build_openai_client(
        base_url=BASE_URL, api_key="k", timeout_s=5, max_connections=2, transport="httpx"
    )
    model = OpenAIChatModel(client=client, model="m", max_attempts=3)
    try:
        with pytest.raises(ModelUnavailable) as caught:
            await model.complete(MESSAGES, params=ModelParams())
    finally:
        await client.close()
    assert "unexpectedly" in caught.value.reason
    assert isinstance(caught.value.__cause__, KeyError)

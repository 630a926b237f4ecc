"""The client factory: respx must see every request, and the SDK must not retry.

If an openai upgrade routes requests through `httpx2` again (its default since
3.x), respx stops intercepting and every mocked test in this suite would be
testing nothing. These tests fail loudly when that happens.
"""

from __future__ import annotations

import httpx
import openai
import pytest
import respx

from service.llm import ModelParams, OpenAIChatModel, build_openai_client
from tests._llm_fixtures import BASE_URL, CHAT_URL, MESSAGES, ok

pytestmark = pytest.mark.unit

# Unit tests run the respx-visible httpx transport; production's aiohttp transport
# is exercised against real servers in tests/integration (embedded model, serve).
INTERCEPTION_BROKEN = (
    "respx did not intercept the request made by build_openai_client's AsyncOpenAI: "
    "the SDK is no longer sending through our httpx.AsyncClient (httpx2 default?). "
    "Every respx-based model test is meaningless until this is fixed."
)


async def test_respx_intercepts_the_built_client(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=ok("from the mock"))
    client = build_openai_client(
        base_url=BASE_URL, api_key="sk-test", timeout_s=5, max_connections=2, transport="httpx"
    )
    try:
        model = OpenAIChatModel(client=client, model="gpt-test", max_attempts=1)
        answer = await model.complete(MESSAGES, params=ModelParams())
    except openai.APIConnectionError as exc:  # pragma: no cover - only when broken
        pytest.fail(f"{INTERCEPTION_BROKEN} ({exc!r})")
    finally:
        await client.close()
    assert route.call_count == 1, INTERCEPTION_BROKEN
    assert answer.text == "from the mock", INTERCEPTION_BROKEN


async def test_sdk_retries_are_off_and_transport_is_plain_httpx() -> None:
    client = build_openai_client(
        base_url=BASE_URL, api_key="sk-test", timeout_s=5, max_connections=2, transport="httpx"
    )
    try:
        assert client.max_retries == 0
        assert isinstance(client._client, httpx.AsyncClient)
    finally:
        await client.close()


async def test_one_request_per_call_even_on_a_500(respx_mock: respx.MockRouter) -> None:
    """With our retries at one attempt, the SDK must not add any of its own."""
    route = respx_mock.post(CHAT_URL).mock(return_value=httpx.Response(500, json={"error": {}}))
    client = build_openai_client(
        base_url=BASE_URL, api_key="sk-test", timeout_s=5, max_connections=2, transport="httpx"
    )
    try:
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}]
            )
    finally:
        await client.close()
    assert route.call_count == 1


async def test_injected_http_client_is_used_and_closed_with_the_sdk_client(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=ok())
    http = httpx.AsyncClient(headers={"x-probe": "yes"})
    client = build_openai_client(
        base_url=BASE_URL, api_key="sk-test", timeout_s=5, max_connections=2, http_client=http
    )
    await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    await client.close()
    assert route.calls.last.request.headers["x-probe"] == "yes"
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test"
    assert http.is_closed


async def test_missing_api_key_gets_a_placeholder_for_local_servers(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=ok())
    client = build_openai_client(
        base_url=BASE_URL, api_key=None, timeout_s=5, max_connections=2, transport="httpx"
    )
    try:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    finally:
        await client.close()
    assert route.calls.last.request.headers["authorization"].startswith("Bearer ")


async def test_production_transport_is_aiohttp_and_httpx_stays_available() -> None:
    """Measured in bench/: the SDK's aiohttp transport holds 1,000 in flight; httpx did not."""
    import openai

    default = build_openai_client(base_url="http://127.0.0.1:9/v1", api_key=None)
    assert isinstance(default._client, openai.DefaultAioHttpClient)
    plain = build_openai_client(base_url="http://127.0.0.1:9/v1", api_key=None, transport="httpx")
    assert isinstance(plain._client, httpx.AsyncClient)
    await default.close()
    await plain.close()

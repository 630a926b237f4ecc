"""`OpenAIChatModel.stream` over mocked SSE: deltas, final answer, retry only before text."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import openai
import pytest
import respx

from service.llm import (
    ModelAnswer,
    ModelParams,
    ModelUnavailable,
    OpenAIChatModel,
    build_openai_client,
)
from service.models import Usage
from tests._llm_fixtures import (
    BASE_URL,
    CHAT_URL,
    MESSAGES,
    SleepRecorder,
    chunk,
    error,
    sse,
    stream_of,
)

pytestmark = pytest.mark.unit

PARAMS = ModelParams(max_tokens=64)


@pytest.fixture
async def client() -> AsyncIterator[openai.AsyncOpenAI]:
    c = build_openai_client(
        base_url=BASE_URL, api_key="sk-test", timeout_s=5, max_connections=4, transport="httpx"
    )
    yield c
    await c.close()


@pytest.fixture
def retries() -> list[str]:
    return []


@pytest.fixture
def model(client: openai.AsyncOpenAI, retries: list[str]) -> OpenAIChatModel:
    return OpenAIChatModel(
        client=client, model="gpt-test", sleep=SleepRecorder(), on_retry=retries.append
    )


async def collect(model: OpenAIChatModel) -> tuple[list[str], ModelAnswer]:
    deltas: list[str] = []
    final: list[ModelAnswer] = []
    async for item in model.stream(MESSAGES, params=PARAMS):
        assert not final, "nothing may follow the final ModelAnswer"
        if isinstance(item, ModelAnswer):
            final.append(item)
        else:
            deltas.append(item)
    assert len(final) == 1, "exactly one final ModelAnswer"
    return deltas, final[0]


async def test_deltas_then_final_answer_with_usage(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=stream_of(["Hi ", "Dana", ", one idea."]))
    deltas, answer = await collect(model)
    assert deltas == ["Hi ", "Dana", ", one idea."]
    assert answer.text == "Hi Dana, one idea."
    assert answer.finish_reason == "stop"
    assert answer.model == "gpt-test"
    assert answer.usage == Usage(prompt_tokens=21, completion_tokens=3, total_tokens=24)
    sent = json.loads(route.calls.last.request.content)
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}


async def test_length_cutoff_is_reported(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    respx_mock.post(CHAT_URL).mock(return_value=stream_of(["Hi", " Dana"], finish_reason="length"))
    _, answer = await collect(model)
    assert answer.finish_reason == "length"


async def test_usage_is_estimated_when_the_server_sends_none(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI
) -> None:
    route = respx_mock.post(CHAT_URL).mock(
        return_value=stream_of(["Hello", " there", "!"], usage=None)
    )
    model = OpenAIChatModel(client=client, model="local", stream_usage=False)
    _, answer = await collect(model)
    assert "stream_options" not in json.loads(route.calls.last.request.content)
    assert answer.usage.completion_tokens == 3  # one per delta
    assert answer.usage.prompt_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + 3


async def test_failure_before_first_delta_is_retried(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, retries: list[str]
) -> None:
    route = respx_mock.post(CHAT_URL).mock(
        side_effect=[error(503), httpx.ConnectError("refused"), stream_of(["ok"])]
    )
    deltas, answer = await collect(model)
    assert deltas == ["ok"]
    assert answer.text == "ok"
    assert route.call_count == 3
    assert retries == ["status_503", "connection"]


async def test_garbage_chunk_before_first_delta_is_retried(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, retries: list[str]
) -> None:
    respx_mock.post(CHAT_URL).mock(
        side_effect=[sse([chunk(""), "not json at all"]), stream_of(["fine"])]
    )
    deltas, _ = await collect(model)
    assert deltas == ["fine"]
    assert retries == ["malformed"]


async def test_error_event_before_first_delta_is_retried(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, retries: list[str]
) -> None:
    broken = sse([chunk(""), {"error": {"message": "overloaded"}}], done=False)
    respx_mock.post(CHAT_URL).mock(side_effect=[broken, stream_of(["fine"])])
    deltas, _ = await collect(model)
    assert deltas == ["fine"]
    assert retries == ["api_error"]


async def test_failure_after_first_delta_is_not_retried(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, retries: list[str]
) -> None:
    broken = sse([chunk("Hi "), {"error": {"message": "backend fell over"}}], done=False)
    route = respx_mock.post(CHAT_URL).mock(side_effect=[broken, stream_of(["never used"])])
    stream = model.stream(MESSAGES, params=PARAMS)
    assert await anext(stream) == "Hi "
    with pytest.raises(ModelUnavailable, match="after the first delta"):
        await anext(stream)
    assert route.call_count == 1
    assert retries == []


async def test_persistent_failure_before_any_text_is_unavailable(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=error(500))
    stream = model.stream(MESSAGES, params=PARAMS)
    with pytest.raises(ModelUnavailable, match="after 3 attempt"):
        await anext(stream)
    assert route.call_count == 3


async def test_empty_stream_yields_only_the_final_answer(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    respx_mock.post(CHAT_URL).mock(return_value=stream_of([]))
    deltas, answer = await collect(model)
    assert deltas == []
    assert answer.text == ""
    assert answer.finish_reason == "stop"


async def test_abandoned_stream_releases_the_connection(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    real_close = openai.AsyncStream.close

    async def spy_close(self: openai.AsyncStream[object]) -> None:
        closed.append(True)
        await real_close(self)

    monkeypatch.setattr(openai.AsyncStream, "close", spy_close)
    respx_mock.post(CHAT_URL).mock(return_value=stream_of(["a ", "b ", "c"]))
    stream = model.stream(MESSAGES, params=PARAMS)
    assert await anext(stream) == "a "
    assert closed == []
    await stream.aclose()  # e.g. the browser went away
    assert closed == [True]

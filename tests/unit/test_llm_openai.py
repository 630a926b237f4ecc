"""`OpenAIChatModel.complete` against respx-mocked endpoints: mapping, retries, deadline."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import openai
import pytest
import respx

from service.llm import (
    ChatModel,
    ModelParams,
    ModelRejected,
    ModelUnavailable,
    OpenAIChatModel,
    build_openai_client,
)
from service.models import Usage
from tests._llm_fixtures import BASE_URL, CHAT_URL, MESSAGES, SleepRecorder, error, ok

pytestmark = pytest.mark.unit

PARAMS = ModelParams(max_tokens=64, temperature=0.2, seed=11)


@pytest.fixture
async def client() -> AsyncIterator[openai.AsyncOpenAI]:
    c = build_openai_client(
        base_url=BASE_URL, api_key="sk-test", timeout_s=5, max_connections=4, transport="httpx"
    )
    yield c
    await c.close()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def retries() -> list[str]:
    return []


@pytest.fixture
def model(client: openai.AsyncOpenAI, sleeps: SleepRecorder, retries: list[str]) -> OpenAIChatModel:
    return OpenAIChatModel(
        client=client, model="gpt-test", max_attempts=3, sleep=sleeps, on_retry=retries.append
    )


# -- mapping -----------------------------------------------------------------


async def test_good_answer_is_mapped(respx_mock: respx.MockRouter, model: OpenAIChatModel) -> None:
    route = respx_mock.post(CHAT_URL).mock(
        return_value=ok("Hi Dana, one idea.", model="gpt-test-0613")
    )
    answer = await model.complete(MESSAGES, params=PARAMS)
    assert answer.text == "Hi Dana, one idea."
    assert answer.finish_reason == "stop"
    assert answer.model == "gpt-test-0613"
    assert answer.usage == Usage(prompt_tokens=21, completion_tokens=4, total_tokens=25)
    sent = json.loads(route.calls.last.request.content)
    assert sent["model"] == "gpt-test"
    assert sent["messages"] == MESSAGES
    assert (sent["max_tokens"], sent["temperature"], sent["seed"]) == (64, 0.2, 11)
    assert "stream" not in sent or sent["stream"] is False


async def test_finish_reason_length_is_reported(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    respx_mock.post(CHAT_URL).mock(
        return_value=ok("Hi Dana, here is a long", finish_reason="length")
    )
    answer = await model.complete(MESSAGES, params=PARAMS)
    assert answer.finish_reason == "length"
    assert answer.text == "Hi Dana, here is a long"


async def test_missing_usage_maps_to_zero_and_no_seed_is_sent_when_none(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=ok(usage=None))
    answer = await model.complete(MESSAGES, params=ModelParams(seed=None))
    assert answer.usage == Usage()
    assert "seed" not in json.loads(route.calls.last.request.content)


async def test_max_completion_tokens_variant(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=ok())
    model = OpenAIChatModel(client=client, model="o-test", max_tokens_param="max_completion_tokens")
    await model.complete(MESSAGES, params=PARAMS)
    sent = json.loads(route.calls.last.request.content)
    assert sent["max_completion_tokens"] == 64
    assert "max_tokens" not in sent


# -- retries -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected_wait"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after-ms": "150", "Retry-After": "9"}, 0.15),  # ms wins: more precise
        ({"Retry-After": "10"}, 10.0),  # exactly the cap (retry_after_cap_s) is still waited
    ],
)
async def test_429_with_retry_after_waits_as_told_then_succeeds(
    respx_mock: respx.MockRouter,
    model: OpenAIChatModel,
    sleeps: SleepRecorder,
    retries: list[str],
    headers: dict[str, str],
    expected_wait: float,
) -> None:
    route = respx_mock.post(CHAT_URL).mock(
        side_effect=[error(429, code="rate_limit_exceeded", headers=headers), ok("second time")]
    )
    answer = await model.complete(MESSAGES, params=PARAMS)
    assert answer.text == "second time"
    assert route.call_count == 2
    assert sleeps.waits == [pytest.approx(expected_wait)]
    assert retries == ["status_429"]


async def test_retry_after_beyond_the_cap_degrades_at_once_and_says_why(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, sleeps: SleepRecorder
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=error(429, headers={"Retry-After": "60"}))
    with pytest.raises(ModelUnavailable, match="1 attempt") as caught:
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == 1
    assert sleeps.waits == []  # neither sat out nor retried early
    assert "asked us to wait 60 s" in caught.value.reason
    assert "10 s" in caught.value.reason


async def test_retry_after_beyond_the_deadline_gives_up_without_waiting(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI, sleeps: SleepRecorder
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=error(429, headers={"Retry-After": "5"}))
    model = OpenAIChatModel(client=client, model="gpt-test", deadline_s=2.0, sleep=sleeps)
    with pytest.raises(ModelUnavailable, match="1 attempt"):
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == 1
    assert sleeps.waits == []


@pytest.mark.parametrize("attempts", [1, 3, 5])
async def test_persistent_500_exhausts_exactly_max_attempts(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI, sleeps: SleepRecorder, attempts: int
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=error(500))
    retries: list[str] = []
    model = OpenAIChatModel(
        client=client,
        model="gpt-test",
        max_attempts=attempts,
        sleep=sleeps,
        on_retry=retries.append,
    )
    with pytest.raises(ModelUnavailable, match=f"after {attempts} attempt") as caught:
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == attempts
    assert retries == ["status_500"] * (attempts - 1)
    assert isinstance(caught.value.__cause__, openai.InternalServerError)


async def test_backoff_without_retry_after_grows_with_jitter(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI, sleeps: SleepRecorder
) -> None:
    respx_mock.post(CHAT_URL).mock(return_value=error(503))
    model = OpenAIChatModel(
        client=client,
        model="gpt-test",
        max_attempts=5,
        backoff_initial_s=0.5,
        backoff_max_s=2.0,
        sleep=sleeps,
    )
    with pytest.raises(ModelUnavailable):
        await model.complete(MESSAGES, params=PARAMS)
    ceilings = [0.5, 1.0, 2.0, 2.0]
    assert len(sleeps.waits) == len(ceilings)
    for wait, ceiling in zip(sleeps.waits, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_transient_statuses_are_retried(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, retries: list[str], status: int
) -> None:
    route = respx_mock.post(CHAT_URL).mock(side_effect=[error(status), ok("recovered")])
    answer = await model.complete(MESSAGES, params=PARAMS)
    assert answer.text == "recovered"
    assert route.call_count == 2
    assert retries == [f"status_{status}"]


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ConnectError("refused"), "connection"),
        (httpx.RemoteProtocolError("dropped"), "connection"),
    ],
)
async def test_network_failures_are_retried(
    respx_mock: respx.MockRouter,
    model: OpenAIChatModel,
    retries: list[str],
    failure: Exception,
    reason: str,
) -> None:
    route = respx_mock.post(CHAT_URL).mock(side_effect=[failure, failure, ok("third time")])
    answer = await model.complete(MESSAGES, params=PARAMS)
    assert answer.text == "third time"
    assert route.call_count == 3
    assert retries == [reason, reason]


async def test_timeouts_until_exhaustion_raise_unavailable(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    route = respx_mock.post(CHAT_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ModelUnavailable, match="timeout"):
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == 3


async def test_insufficient_quota_is_final(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, sleeps: SleepRecorder
) -> None:
    route = respx_mock.post(CHAT_URL).mock(
        return_value=error(429, code="insufficient_quota", headers={"Retry-After": "1"})
    )
    with pytest.raises(ModelRejected, match="429 \\(insufficient_quota\\)"):
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == 1
    assert sleeps.waits == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_not_retried(
    respx_mock: respx.MockRouter, model: OpenAIChatModel, retries: list[str], status: int
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=error(status, code="invalid_request"))
    with pytest.raises(ModelRejected, match=f"HTTP {status}"):
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == 1
    assert retries == []


GARBAGE = [
    pytest.param(httpx.Response(200, text="<html>bad gateway</html>"), id="not-json"),
    pytest.param(httpx.Response(200, json={"foo": 1}), id="wrong-shape"),
    pytest.param(httpx.Response(200, json={"choices": []}), id="empty-choices"),
    pytest.param(
        httpx.Response(200, json={"choices": [{"index": 0}]}), id="choice-without-message"
    ),
    pytest.param(
        httpx.Response(
            200, json={"choices": [{"message": {"content": 42}, "finish_reason": "stop"}]}
        ),
        id="non-text-content",
    ),
]


@pytest.mark.parametrize("garbage", GARBAGE)
async def test_garbage_body_is_retried_then_unavailable(
    respx_mock: respx.MockRouter,
    model: OpenAIChatModel,
    retries: list[str],
    garbage: httpx.Response,
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=garbage)
    with pytest.raises(ModelUnavailable, match="malformed"):
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == 3
    assert retries == ["malformed", "malformed"]


async def test_garbage_then_good_recovers(
    respx_mock: respx.MockRouter, model: OpenAIChatModel
) -> None:
    respx_mock.post(CHAT_URL).mock(side_effect=[httpx.Response(200, text="oops"), ok("fine")])
    assert (await model.complete(MESSAGES, params=PARAMS)).text == "fine"


# -- deadline ------------------------------------------------------------------


async def _hang(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(30)
    return ok()  # pragma: no cover - never reached


async def test_deadline_bounds_a_hanging_endpoint(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI
) -> None:
    respx_mock.post(CHAT_URL).mock(side_effect=_hang)
    model = OpenAIChatModel(client=client, model="gpt-test", deadline_s=0.3, max_attempts=5)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="deadline"):
        await model.complete(MESSAGES, params=PARAMS)
    assert time.monotonic() - started < 1.0


async def test_attempt_timeout_never_exceeds_the_remaining_deadline(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=ok())
    model = OpenAIChatModel(client=client, model="gpt-test", deadline_s=0.5, attempt_timeout_s=20)
    await model.complete(MESSAGES, params=PARAMS)
    timeouts: dict[str, Any] = route.calls.last.request.extensions["timeout"]
    assert 0 < timeouts["read"] <= 0.5


async def test_attempt_timeout_splits_the_deadline_into_retries(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI, sleeps: SleepRecorder
) -> None:
    respx_mock.post(CHAT_URL).mock(side_effect=[cast(Any, _hang), ok("second attempt")])
    retries: list[str] = []
    model = OpenAIChatModel(
        client=client,
        model="gpt-test",
        deadline_s=5,
        attempt_timeout_s=0.2,
        sleep=sleeps,
        on_retry=retries.append,
    )
    started = time.monotonic()
    answer = await model.complete(MESSAGES, params=PARAMS)
    assert answer.text == "second attempt"
    assert retries == ["timeout"]  # respx records no call for the cancelled first attempt
    assert time.monotonic() - started < 2.0


def test_constructor_rejects_nonsense(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(ValueError, match="deadline_s"):
        OpenAIChatModel(client=client, model="m", deadline_s=0)
    with pytest.raises(ValueError, match="max_attempts"):
        OpenAIChatModel(client=client, model="m", max_attempts=0)


def test_adapter_satisfies_the_port(client: openai.AsyncOpenAI) -> None:
    model: ChatModel = OpenAIChatModel(client=client, model="gpt-test")
    assert model.name == "gpt-test"

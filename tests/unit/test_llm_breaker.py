"""The circuit breaker's state machine, on a fake clock; then the adapter with it, via respx."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
import respx

from service.llm import (
    BreakerState,
    CircuitBreaker,
    ModelCircuitOpen,
    ModelParams,
    ModelRejected,
    ModelUnavailable,
    OpenAIChatModel,
    build_openai_client,
)
from tests._llm_fixtures import BASE_URL, CHAT_URL, MESSAGES, SleepRecorder, error, ok

pytestmark = pytest.mark.unit

PARAMS = ModelParams(max_tokens=64, temperature=0.2, seed=11)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def transitions() -> list[BreakerState]:
    return []


@pytest.fixture
def breaker(clock: Clock, transitions: list[BreakerState]) -> CircuitBreaker:
    return CircuitBreaker(
        upstream="llm.test",
        failure_threshold=3,
        reset_after_s=10.0,
        clock=clock,
        on_transition=lambda _, state: transitions.append(state),
    )


def test_opens_after_n_consecutive_failures_only(
    breaker: CircuitBreaker, transitions: list[BreakerState]
) -> None:
    breaker.record_failure("timeout")
    breaker.record_failure("timeout")
    breaker.record_success()  # the streak is broken
    breaker.record_failure("status_503")
    breaker.record_failure("status_503")
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.record_failure("status_503")
    assert breaker.state == "open"
    assert not breaker.allow()
    assert transitions == ["open"]
    snap = breaker.snapshot()
    assert (snap.consecutive_failures, snap.last_failure, snap.retry_in_s) == (3, "status_503", 10)


def test_half_open_lets_one_probe_through_and_its_success_closes(
    breaker: CircuitBreaker, clock: Clock, transitions: list[BreakerState]
) -> None:
    for _ in range(3):
        breaker.record_failure("connection")
    clock.now += 10
    assert breaker.state == "half_open"
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # everyone else waits for its verdict
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()
    assert transitions == ["open", "half_open", "closed"]


def test_a_failed_probe_opens_it_again_for_a_full_period(
    breaker: CircuitBreaker, clock: Clock, transitions: list[BreakerState]
) -> None:
    for _ in range(3):
        breaker.record_failure("connection")
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure("connection")
    assert breaker.state == "open"
    clock.now += 9
    assert breaker.state == "open"
    clock.now += 1
    assert breaker.state == "half_open"
    assert transitions == ["open", "half_open", "open"]


def test_a_cancelled_probe_frees_the_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure("connection")
    clock.now += 10
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


def test_a_lost_probe_frees_the_slot_eventually(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure("connection")
    clock.now += 10
    assert breaker.allow()
    assert not breaker.allow()
    clock.now += 10
    assert breaker.allow()


def test_a_server_directed_hold_opens_at_once_for_that_long(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    breaker.record_failure("status_429", hold_s=60)
    assert breaker.state == "open"
    clock.now += 59
    assert breaker.state == "open"
    clock.now += 1
    assert breaker.state == "half_open"


# -- the adapter with a breaker -------------------------------------------------


@pytest.fixture
async def client() -> AsyncIterator[openai.AsyncOpenAI]:
    c = build_openai_client(
        base_url=BASE_URL, api_key="sk-test", timeout_s=5, max_connections=4, transport="httpx"
    )
    yield c
    await c.close()


def adapter(client: openai.AsyncOpenAI, breaker: CircuitBreaker) -> OpenAIChatModel:
    return OpenAIChatModel(
        client=client, model="gpt-test", max_attempts=2, sleep=SleepRecorder(), breaker=breaker
    )


async def test_an_open_breaker_sends_nothing_and_says_so(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI, breaker: CircuitBreaker
) -> None:
    route = respx_mock.post(CHAT_URL).mock(return_value=error(500))
    model = adapter(client, breaker)
    with pytest.raises(ModelUnavailable, match="2 attempts"):
        await model.complete(MESSAGES, params=PARAMS)
    with pytest.raises(ModelUnavailable) as opened:  # third failure opens it; retry refused
        await model.complete(MESSAGES, params=PARAMS)
    assert "HTTP 500" in opened.value.reason
    assert "circuit breaker open" in opened.value.reason
    with pytest.raises(ModelCircuitOpen) as refused:
        await model.complete(MESSAGES, params=PARAMS)
    assert route.call_count == 3
    assert "paused for 10 s" in refused.value.reason


async def test_a_bad_request_does_not_count_against_the_endpoint(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI, breaker: CircuitBreaker
) -> None:
    respx_mock.post(CHAT_URL).mock(return_value=error(400))
    model = adapter(client, breaker)
    for _ in range(5):
        with pytest.raises(ModelRejected):
            await model.complete(MESSAGES, params=PARAMS)
    assert breaker.state == "closed"
    assert breaker.snapshot().consecutive_failures == 0


async def test_success_resets_the_streak(
    respx_mock: respx.MockRouter, client: openai.AsyncOpenAI, breaker: CircuitBreaker
) -> None:
    respx_mock.post(CHAT_URL).mock(side_effect=[error(503), ok("fine")])
    answer = await adapter(client, breaker).complete(MESSAGES, params=PARAMS)
    assert answer.text == "fine"
    assert breaker.snapshot().consecutive_failures == 0

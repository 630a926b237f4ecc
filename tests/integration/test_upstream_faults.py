"""A provider's bad day, end to end: a real misbehaving HTTP server on loopback, the real app.

The app is built from settings alone (as `tactful serve` builds it), so the
per-attempt timeout, the retry policy, the `Retry-After` cap and the circuit
breaker are the production wiring, through both transports. For every fault
the contract is the same: no response >= 500, every SSE stream ends with a
`result` event, the composer answers, `degraded_reason` names the true cause,
and the upstream saw exactly the calls the policy allows. Timeouts are small
settings; nothing asserts on elapsed time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from service.observability import metrics
from service.settings import Settings
from tests._fault_server import Fault, FaultServer
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = pytest.mark.integration

ATTEMPT_TIMEOUT_S = 0.3
MAX_ATTEMPTS = 2
RETRY_AFTER_CAP_S = 0.5
REQUEST = {
    "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
    "context": DANA_CONTEXT,
}
SSE = {"accept": "text/event-stream"}


def fault_settings(base_url: str, transport: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "embedded_model": "off",
        "openai_base_url": base_url,
        "openai_api_key": "sk-fault",
        "model": "fault-model",
        "model_transport": transport,
        "model_timeout_s": ATTEMPT_TIMEOUT_S,
        "model_deadline_s": 5.0,
        "model_max_attempts": MAX_ATTEMPTS,
        "model_backoff_initial_s": 0.01,
        "model_backoff_max_s": 0.02,
        "model_retry_after_cap_s": RETRY_AFTER_CAP_S,
        "model_breaker_failures": 1000,  # the breaker has its own tests below
        "rate_rewrite_per_min": 100_000,
        "rate_rewrite_burst": 1000,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture
async def upstream() -> AsyncIterator[FaultServer]:
    async with FaultServer() as server:
        server.script([Fault("ok")], ok_text=GOOD_ANSWER)
        yield server


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    name = "message"
    for line in text.splitlines():
        if line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line.partition(":")[2])))
    return events


async def rewrite(client: AsyncTestClient[Litestar], *, stream: bool) -> dict[str, Any]:
    """One rewrite; asserts the transport-level contract and returns the final document."""
    response = await client.post("/v1/rewrites", json=REQUEST, headers=SSE if stream else None)
    assert response.status_code == 200, response.text
    if not stream:
        data: dict[str, Any] = response.json()
        return data
    events = sse_events(response.text)
    assert events, "an empty stream"
    assert events[-1][0] == "result", [name for name, _ in events]
    return events[-1][1]


# fault, JSON calls, SSE calls, the words degraded_reason must contain (JSON, SSE)
FAULTS = [
    pytest.param(Fault("status", status=500), 2, 2, ("HTTP 500", "HTTP 500"), id="500"),
    pytest.param(Fault("status", status=503), 2, 2, ("HTTP 503", "HTTP 503"), id="503"),
    pytest.param(
        Fault("status", status=429, retry_after="0.05"),
        2,
        2,
        ("rate-limiting", "rate-limiting"),
        id="429-short-retry-after",
    ),
    pytest.param(
        Fault("hang"),
        2,
        2,
        ("did not answer within 0.3 s", "did not answer within 0.3 s"),
        id="hang",
    ),
    pytest.param(
        Fault("drop_mid_body"),
        2,
        2,
        ("dropped the connection", "not a chat completion|dropped the connection"),
        id="drop-mid-body",
    ),
    pytest.param(
        Fault("drop_mid_stream"),
        2,
        1,  # text already reached the caller: not retried, degraded
        ("dropped the connection", "stream broke after it had started"),
        id="drop-mid-stream",
    ),
    pytest.param(
        Fault("html"), 2, 2, ("not a chat completion", "not a chat completion"), id="html-2xx"
    ),
    pytest.param(
        Fault("empty"), 2, 2, ("not a chat completion", "not a chat completion"), id="empty-2xx"
    ),
    pytest.param(
        Fault("cut_json"),
        2,
        1,
        ("not a chat completion", "stream broke after it had started"),
        id="cut-off-json",
    ),
    pytest.param(
        Fault("length"), 2, 2, ("failed the check twice", "failed the check twice"), id="truncated"
    ),
]


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize(("fault", "json_calls", "sse_calls", "reasons"), FAULTS)
async def test_every_upstream_fault_degrades_to_the_composer(
    upstream: FaultServer,
    transport: str,
    stream: bool,
    fault: Fault,
    json_calls: int,
    sse_calls: int,
    reasons: tuple[str, str],
) -> None:
    upstream.script([fault])
    app = create_app(fault_settings(upstream.base_url, transport))
    async with AsyncTestClient(app=app) as client:
        data = await rewrite(client, stream=stream)
    assert data["source"] == "composer"
    assert upstream.calls == (sse_calls if stream else json_calls)
    assert all(seen.stream == stream for seen in upstream.seen[:1])
    expected = reasons[1] if stream else reasons[0]
    reason = data["degraded_reason"]
    assert any(words in reason for words in expected.split("|")), reason
    if fault.kind not in {"drop_mid_body", "drop_mid_stream"}:
        assert "could not be reached" not in reason  # a timeout or a 5xx is not "unreachable"
    assert not any(f["severity"] == "error" for f in data["after"]["findings"])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_a_fault_then_a_good_answer_is_retried_to_success(
    upstream: FaultServer, stream: bool
) -> None:
    upstream.script([Fault("html"), Fault("ok")])
    async with AsyncTestClient(app=create_app(fault_settings(upstream.base_url, "aiohttp"))) as c:
        data = await rewrite(c, stream=stream)
    assert data["source"] == "model"
    assert data["degraded_reason"] is None
    assert upstream.calls == 2


def sample(name: str, **labels: str) -> float:
    value = metrics().registry.get_sample_value(name, labels)
    return value or 0.0


async def ready_model(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    response = await client.get("/health/ready")
    assert response.status_code == 200  # a failing model degrades readiness, never fails it
    checks: dict[str, Any] = response.json()["checks"]
    return checks


async def test_breaker_opens_fails_fast_probes_and_recovers(upstream: FaultServer) -> None:
    """3 failed attempts open it; while open no call is made; one probe; success closes it."""
    upstream.script([Fault("status", status=502)])
    settings = fault_settings(
        upstream.base_url, "aiohttp", model_breaker_failures=3, model_breaker_reset_s=0.2
    )
    host = upstream.base_url.split("//")[1].split("/")[0]
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await ready_model(client))["model"] == "ok"

        first = await rewrite(client, stream=False)  # 2 attempts: 2 failures
        assert upstream.calls == 2
        assert "paused" not in first["degraded_reason"]
        second = await rewrite(client, stream=True)  # 1 attempt opens it, the retry is refused
        assert upstream.calls == 3
        assert "HTTP 502" in second["degraded_reason"]
        assert "circuit breaker open" in second["degraded_reason"]

        fast = [await rewrite(client, stream=s) for s in (False, True, False)]
        assert upstream.calls == 3  # open: nothing sent
        assert all(d["source"] == "composer" for d in fast)
        assert all("circuit breaker open" in d["degraded_reason"] for d in fast)
        assert all("ModelCircuitOpen" in d["degraded_reason"] for d in fast)
        checks = await ready_model(client)
        assert checks["model"] == "failing"
        assert checks["model_breaker"]["state"] == "open"
        assert checks["model_breaker"]["last_failure"] == "status_502"
        assert sample("tactful_model_breaker_rejections_total", upstream=host) >= 3
        assert sample("tactful_model_breaker_state", upstream=host) == 2

        await wait_for_state(client, "half_open")
        probe = await rewrite(client, stream=False)  # the probe fails: open again
        assert upstream.calls == 4
        assert probe["source"] == "composer"
        assert (await ready_model(client))["model_breaker"]["state"] == "open"

        upstream.script([Fault("ok")])
        await wait_for_state(client, "half_open")
        healed = await rewrite(client, stream=False)
        assert upstream.calls == 5
        assert healed["source"] == "model"
        checks = await ready_model(client)
        assert checks["model"] == "ok"
        assert checks["model_breaker"]["state"] == "closed"
        assert checks["model_breaker"]["consecutive_failures"] == 0
    assert sample("tactful_model_breaker_transitions_total", upstream=host, state="open") == 2
    assert sample("tactful_model_breaker_transitions_total", upstream=host, state="half_open") == 2
    assert sample("tactful_model_breaker_transitions_total", upstream=host, state="closed") == 1
    assert sample("tactful_model_breaker_state", upstream=host) == 0


async def wait_for_state(client: AsyncTestClient[Litestar], state: str) -> None:
    """Poll readiness until the breaker reports `state` (the reset is 0.2 s; bounded loop)."""
    for _ in range(200):
        if (await ready_model(client))["model_breaker"]["state"] == state:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"breaker never reached {state}")


async def test_retry_after_over_the_cap_degrades_at_once_and_pauses_calls(
    upstream: FaultServer,
) -> None:
    upstream.script([Fault("status", status=429, retry_after="60"), Fault("ok")])
    async with AsyncTestClient(app=create_app(fault_settings(upstream.base_url, "httpx"))) as c:
        first = await rewrite(c, stream=False)
        later = await rewrite(c, stream=True)
        checks = await ready_model(c)
    assert upstream.calls == 1  # not retried, and nothing sent while the server asked for quiet
    assert "asked us to wait 60 s" in first["degraded_reason"]
    assert "0.5 s" in first["degraded_reason"]
    assert later["source"] == "composer"
    assert "circuit breaker open" in later["degraded_reason"]
    assert checks["model"] == "failing"
    assert checks["model_breaker"]["state"] == "open"
    assert checks["model_breaker"]["retry_in_s"] > 30


async def test_readiness_reports_failing_calls_even_when_the_probe_answers(
    upstream: FaultServer,
) -> None:
    upstream.script([Fault("status", status=401)])
    async with AsyncTestClient(app=create_app(fault_settings(upstream.base_url, "aiohttp"))) as c:
        before = await ready_model(c)
        data = await rewrite(c, stream=False)
        after = await ready_model(c)
    assert before["model"] == "ok"
    assert upstream.calls == 1  # a 401 is final: not retried
    assert "refused the request (HTTP 401)" in data["degraded_reason"]
    assert after["model"] == "failing"
    assert after["model_breaker"]["last_failure"] == "status_401"
    assert upstream.probes >= 1

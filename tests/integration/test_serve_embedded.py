"""End to end as a user runs it: `tactful serve` with the embedded SmolLM2 model, then curl.

The server is a real subprocess, the model a real llama.cpp OpenAI-protocol
server started by it. SmolLM2-135M writes weak rewrites, so the assertion is
the guarantee, not the prose: the response is well formed and passes the
guard, whichever source produced it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from service.budget import resolve_budget
from service.guard import check
from service.models import Context, Message, RewriteResponse
from tests.conftest import DANA_CONTEXT, PUSHY_DRAFT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("serve") / "stderr.log"
    log = log_path.open("w")
    # PORT/HOST as `make serve PORT=...` exports them: the embedded llama.cpp server
    # must not pick them up (it reads same-named env settings) and steal our port.
    env = {**os.environ, "TACTFUL_EMBEDDED_MODEL": "auto", "TACTFUL_LOG_LEVEL": "INFO",
           "PORT": str(port), "HOST": "127.0.0.1"}  # fmt: skip
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "REDIS_URL"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"tactful serve exited early: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("tactful serve did not become ready in time")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_rewrite_with_the_real_local_model_is_well_formed_and_guarded(
    server: str, channel: str
) -> None:
    draft = {"channel": channel, "body": PUSHY_DRAFT}
    if channel == "email":
        draft["subject"] = "Following up"
    response = httpx.post(
        f"{server}/v1/rewrites", json={"draft": draft, "context": DANA_CONTEXT}, timeout=300
    )
    assert response.status_code == 200, response.text
    result = RewriteResponse.model_validate(response.json())
    assert result.source in {"model", "composer"}
    assert result.model != "none"  # the embedded model was really in use
    assert result.verdict == "rewritten"
    original = Message.model_validate(draft)
    verdict = check(
        result.rewrite,
        context=Context.model_validate(DANA_CONTEXT),
        original=original,
        budget=resolve_budget(original.channel),
    )
    assert verdict.passed, [f.rule for f in verdict.blocking]
    if result.source == "model":
        assert result.usage.total_tokens > 0

"""Batches end to end: the API queues, real `tactful worker` processes work, one is SIGKILLed.

A slow OpenAI-compatible stub (a thread in this process) stands in for the model
so the first worker is guaranteed to die with items in flight.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from tests._llm_fixtures import completion_json
from tests._redis_fixtures import REDIS_TEST_URL, redis_settings
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MODEL_DELAY_S = 1.5
ITEMS = 6


class _StubModel(BaseHTTPRequestHandler):
    calls = 0
    lock = threading.Lock()
    called = threading.Event()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        with _StubModel.lock:
            _StubModel.calls += 1
        _StubModel.called.set()
        time.sleep(MODEL_DELAY_S)
        payload = json.dumps(completion_json(GOOD_ANSWER, model="stub")).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # the SIGKILLed worker hangs up mid-answer: expected here


@pytest.fixture
def stub_model() -> Iterator[str]:
    _StubModel.calls = 0
    _StubModel.called.clear()
    server = _QuietServer(("127.0.0.1", 0), _StubModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def worker_env(prefix: str, model_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TACTFUL_", "OPENAI_"))}
    env.update(
        {
            "REDIS_URL": REDIS_TEST_URL,
            "TACTFUL_REDIS_PREFIX": prefix,
            "OPENAI_BASE_URL": model_url,
            "OPENAI_API_KEY": "test",
            "TACTFUL_MODEL": "stub",
            "TACTFUL_EMBEDDED_MODEL": "off",
            "TACTFUL_CACHE_TTL_S": "0",
            "TACTFUL_BATCH_HEARTBEAT_S": "2",
            "TACTFUL_WORKER_SWEEP_S": "1",
            "TACTFUL_WORKER_CONCURRENCY": "2",
            "TACTFUL_LOG_LEVEL": "INFO",
        }
    )
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def item(i: int) -> dict[str, Any]:
    return {
        "draft": {
            "channel": "email",
            "subject": "Following up",
            "body": f"{PUSHY_DRAFT} (ref {i})",
        },
        "context": DANA_CONTEXT,
    }


async def test_a_batch_survives_a_worker_killed_mid_job(
    prefix: str, stub_model: str, tmp_path: Path
) -> None:
    # Polling progress every 250 ms must not trip the default per-caller limit.
    settings = redis_settings(prefix, rate_default_per_min=6000, rate_default_burst=1000)
    env = worker_env(prefix, stub_model)
    app = create_app(settings, use_model=False)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with AsyncTestClient(app=app) as client:
            created = await client.post(
                "/v1/rewrite-batches", json={"items": [item(i) for i in range(ITEMS)]}
            )
            assert created.status_code == 202
            batch_id = created.json()["id"]
            assert created.headers["location"].endswith(batch_id)
            queued = (await client.get(f"/v1/rewrite-batches/{batch_id}")).json()
            assert (queued["status"], queued["total"], queued["completed"]) == ("queued", ITEMS, 0)

            first = start_worker(env, tmp_path / "worker1.log")
            workers.append(first)
            await asyncio.to_thread(_StubModel.called.wait, 30)
            assert _StubModel.calls > 0, (tmp_path / "worker1.log").read_text()
            first.send_signal(signal.SIGKILL)  # mid-job: the stub is still "thinking"
            first.wait(10)
            status = (await client.get(f"/v1/rewrite-batches/{batch_id}")).json()
            assert status["completed"] < ITEMS

            workers.append(start_worker(env, tmp_path / "worker2.log"))
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                status = (await client.get(f"/v1/rewrite-batches/{batch_id}")).json()
                if status["status"] == "completed":
                    break
                await asyncio.sleep(0.25)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    log2 = (tmp_path / "worker2.log").read_text()
    assert status["status"] == "completed", _diagnosis(status, tmp_path)
    assert (status["total"], status["completed"], status["failed"]) == (ITEMS, ITEMS, 0)
    assert [r["index"] for r in status["results"]] == list(range(ITEMS))  # each exactly once
    for result in status["results"]:
        assert result["status"] == "succeeded"
        assert result["response"]["source"] == "model"
    assert workers[1].returncode == 0  # SIGTERM is a clean shutdown
    # Worker logs are JSON lines and never carry message bodies.
    lines = [json.loads(line) for line in log2.splitlines() if line.startswith("{")]
    assert lines
    assert PUSHY_DRAFT[:40] not in log2


async def test_batch_status_is_private_and_validated(prefix: str) -> None:
    app = create_app(redis_settings(prefix, batch_max_items=3), use_model=False)
    async with AsyncTestClient(app=app) as client:
        too_many = await client.post(
            "/v1/rewrite-batches", json={"items": [item(i) for i in range(4)]}
        )
        empty = await client.post("/v1/rewrite-batches", json={"items": []})
        unknown = await client.get("/v1/rewrite-batches/bt_nope")
    assert too_many.status_code == 422
    assert empty.status_code == 422
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


async def test_a_retried_batch_submit_is_queued_once(prefix: str) -> None:
    from tests._redis_fixtures import sync_client

    app = create_app(redis_settings(prefix), use_model=False)
    items = {"items": [item(i) for i in range(3)]}
    key = {"Idempotency-Key": "crm-sync-42"}
    async with AsyncTestClient(app=app) as client:
        first = await client.post("/v1/rewrite-batches", json=items, headers=key)
        retry = await client.post("/v1/rewrite-batches", json=items, headers=key)
    assert first.status_code == retry.status_code == 202
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    redis = sync_client()
    try:
        metas = [k for k in redis.scan_iter(match=f"{prefix}:batch:*") if k.count(b":") == 2]
        queued = redis.llen(f"saq:{prefix}:batches:queued")
    finally:
        redis.close()
    assert len(metas) == 1
    assert queued == 3


def _diagnosis(status: dict[str, Any], logs: Path) -> str:
    """What to read when an item never came back: which items, and every log line naming them.

    (Seen twice under load, never alone: the second worker finished the others and sat
    idle while one item of the killed worker was never redelivered.)
    """
    done = {r["index"] for r in status.get("results", [])}
    missing = [i for i in range(ITEMS) if i not in done]
    out = [
        f"status {status.get('status')}, completed {status.get('completed')},"
        f" items without a result: {missing}"
    ]
    for name in ("worker1.log", "worker2.log"):
        path = logs / name
        lines = path.read_text().splitlines() if path.exists() else []
        keys = [f":{i}," for i in missing] + [f":{i}'" for i in missing]
        named = [ln for ln in lines if any(k in ln for k in keys)]
        out += [f"--- {name}: {len(lines)} lines, {len(named)} naming them", *named[-40:]]
        out += [f"--- {name} tail", *lines[-15:]]
    return "\n".join(out)

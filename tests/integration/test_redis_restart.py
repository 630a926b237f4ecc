"""Redis stopped and restarted mid-run (a private redis-server, never the shared one).

The API keeps answering while Redis is gone (cache off, per-process limits, no
500s) and picks shared state back up when it returns; a worker rides out the
outage and finishes a batch submitted after the restart.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.api.app import create_app
from service.llm import FakeChatModel
from service.settings import Settings
from tests._redis_fixtures import free_port, served
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]
ROOT = Path(__file__).resolve().parents[2]


class PrivateRedis:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def body(i: int = 0) -> dict[str, Any]:
    return {
        "draft": {
            "channel": "email",
            "subject": "Following up",
            "body": f"{PUSHY_DRAFT} (ref {i})",
        },
        "context": DANA_CONTEXT,
    }


async def test_api_rides_out_a_redis_restart(private_redis: PrivateRedis) -> None:
    settings = Settings(embedded_model="off", redis_url=private_redis.url, redis_prefix="rs")
    model = FakeChatModel([GOOD_ANSWER] * 4)
    app = create_app(settings, model=model)
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        warm = await client.post("/v1/rewrites", json=body())
        assert (await client.post("/v1/rewrites", json=body())).json()["cached"] is True

        private_redis.stop()
        during = [await client.post("/v1/rewrites", json=body(i)) for i in (1, 2)]
        analyze = await client.post("/v1/analyze", json=body())
        ready = (await client.get("/health/ready")).json()

        private_redis.start()  # empty: a restarted Redis without persistence
        await asyncio.sleep(1.2)  # the breaker's cool-down
        ready_again = (await client.get("/health/ready")).json()
        after = await client.post("/v1/rewrites", json=body(3))
        after_hit = await client.post("/v1/rewrites", json=body(3))
    assert warm.status_code == 200
    assert [r.status_code for r in during] == [200, 200]
    assert all(r.json()["cached"] is False for r in during)
    assert analyze.status_code == 200
    assert ready["checks"]["redis"] == "down"
    assert ready_again["checks"]["redis"] == "ok"
    assert after.status_code == 200
    assert after_hit.json()["cached"] is True
    assert model.remaining == 0


async def test_worker_rides_out_a_redis_restart(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TACTFUL_", "OPENAI_"))}
    env.update(
        {
            "REDIS_URL": private_redis.url,
            "TACTFUL_REDIS_PREFIX": "rw",
            "TACTFUL_EMBEDDED_MODEL": "off",
            "TACTFUL_WORKER_SWEEP_S": "1",
        }
    )
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        worker = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-m", "service.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    settings = Settings(
        embedded_model="off",
        redis_url=private_redis.url,
        redis_prefix="rw",
        rate_default_per_min=6000,
        rate_default_burst=1000,
    )
    try:
        await asyncio.sleep(3)  # the worker is up and waiting on the queue
        private_redis.stop()
        await asyncio.sleep(2)
        private_redis.start()
        app = create_app(settings, use_model=False)
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            created = await client.post(
                "/v1/rewrite-batches", json={"items": [body(i) for i in range(3)]}
            )
            assert created.status_code == 202
            batch_id = created.json()["id"]
            status: dict[str, Any] = {}
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                status = (await client.get(f"/v1/rewrite-batches/{batch_id}")).json()
                if status.get("status") == "completed":
                    break
                await asyncio.sleep(0.3)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert status.get("status") == "completed", log.read_text()[-3000:]
    assert status["completed"] == 3
    # No model configured for this worker: the composer wrote them, and said so.
    assert {r["response"]["source"] for r in status["results"]} == {"composer"}

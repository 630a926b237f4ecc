"""The embedded SmolLM2 model, for real: llama.cpp server + AsyncOpenAI + our adapter.

Starts the server once per module (about a second here) and keeps every
generation short, so the whole module runs in seconds.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from service.llm import (
    ChatMessage,
    EmbeddedModelError,
    EmbeddedServer,
    ModelAnswer,
    ModelParams,
    OpenAIChatModel,
    build_openai_client,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "You write short, friendly business emails."},
    {"role": "user", "content": "Write two sentences asking Dana how her new stores are doing."},
]
SHORT = ModelParams(max_tokens=48, temperature=0.0, seed=7)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[EmbeddedServer]:
    async with EmbeddedServer(n_threads=2) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model(server: EmbeddedServer) -> AsyncIterator[OpenAIChatModel]:
    client = build_openai_client(
        base_url=server.base_url, api_key=None, timeout_s=60, max_connections=2
    )
    yield OpenAIChatModel(client=client, model=server.model_name, deadline_s=60, max_attempts=1)
    await client.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_server_came_up_quickly_on_loopback(server: EmbeddedServer) -> None:
    assert server.running
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.startup_s is not None
    assert server.startup_s < 60


@pytest.mark.asyncio(loop_scope="module")
async def test_complete_returns_text_and_token_usage(model: OpenAIChatModel) -> None:
    answer = await model.complete(MESSAGES, params=SHORT)
    assert answer.text.strip()
    assert answer.finish_reason in {"stop", "length"}
    assert answer.model == "smollm2-135m-instruct"
    assert 0 < answer.usage.completion_tokens <= SHORT.max_tokens
    assert answer.usage.prompt_tokens > 10
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


@pytest.mark.asyncio(loop_scope="module")
async def test_max_tokens_cuts_with_length(model: OpenAIChatModel) -> None:
    answer = await model.complete(MESSAGES, params=ModelParams(max_tokens=4, temperature=0.0))
    assert answer.finish_reason == "length"
    assert answer.usage.completion_tokens == 4


@pytest.mark.asyncio(loop_scope="module")
async def test_stream_yields_deltas_then_one_answer(model: OpenAIChatModel) -> None:
    items = [item async for item in model.stream(MESSAGES, params=SHORT)]
    *deltas, final = items
    assert len(deltas) > 1
    assert all(isinstance(d, str) for d in deltas)
    assert isinstance(final, ModelAnswer)
    assert final.text == "".join(str(d) for d in deltas)
    assert final.text.strip()
    assert final.usage.completion_tokens > 0


async def test_process_is_gone_after_exit() -> None:
    async with EmbeddedServer(n_threads=1, n_ctx=512) as server:
        pid = server.pid
        assert pid is not None
        assert _alive(pid)
    assert not server.running
    assert not _alive(pid)


async def test_a_broken_model_file_fails_start_up_with_the_server_output(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"this is not a gguf file")
    server = EmbeddedServer(gguf=bogus, startup_timeout_s=60)
    with pytest.raises(EmbeddedModelError, match="exited with code") as caught:
        await server.start()
    assert f"Failed to load model from file: {bogus}" in str(caught.value)
    assert not server.running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class _ScriptedChild(EmbeddedServer):
    """Runs a tiny Python script instead of llama.cpp, and remembers the child's pid."""

    def __init__(self, script: str, **kwargs: Any) -> None:
        super().__init__(gguf=Path(os.devnull), **kwargs)
        self.script = script
        self.seen_pid: int | None = None

    def command(self, gguf: Path, port: int) -> list[str]:
        return [sys.executable, "-c", self.script]

    async def stop(self) -> None:
        self.seen_pid = self.pid or self.seen_pid
        await super().stop()


async def test_start_up_timeout_kills_the_child() -> None:
    server = _ScriptedChild(
        "import time; print('booting', flush=True); time.sleep(120)", startup_timeout_s=1.0
    )
    with pytest.raises(EmbeddedModelError, match=r"not ready after 1s[\s\S]*booting"):
        await server.start()
    assert not server.running
    assert server.seen_pid is not None
    assert not _alive(server.seen_pid)


async def test_a_child_ignoring_sigterm_is_killed_on_stop() -> None:
    server = _ScriptedChild(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('stubborn', flush=True); time.sleep(120)",
        startup_timeout_s=1.0,
        stop_timeout_s=0.5,
    )
    started = asyncio.get_running_loop().time()
    with pytest.raises(EmbeddedModelError, match="stubborn"):
        await server.start()  # never ready -> SIGTERM ignored -> SIGKILL after 0.5s
    assert server.seen_pid is not None
    assert not _alive(server.seen_pid)
    assert asyncio.get_running_loop().time() - started < 5


PARENT_SCRIPT = """
import asyncio, os, sys
from pathlib import Path
from service.llm import EmbeddedServer

class Child(EmbeddedServer):
    def command(self, gguf, port):
        return [sys.executable, "-c", "import time; time.sleep(120)"]

async def main():
    server = Child(gguf=Path(os.devnull), startup_timeout_s=30)
    task = asyncio.create_task(server.start())
    while server.pid is None:
        await asyncio.sleep(0.05)
    print(server.pid, flush=True)
    os._exit(0)  # die hard: no __aexit__, no stop()

asyncio.run(main())
"""


async def test_server_dies_with_a_crashed_parent() -> None:
    """If the app is killed without cleanup, the kernel still takes the server down."""
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PARENT_SCRIPT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(parent.communicate(), 30)
    child_pid = int(out.split()[0])
    for _ in range(50):
        if not _alive(child_pid) or _zombie(child_pid):
            break
        await asyncio.sleep(0.1)
    assert not _alive(child_pid) or _zombie(child_pid), "embedded server outlived its parent"


def _zombie(pid: int) -> bool:
    """Reparented children may linger as zombies until init reaps them: dead all the same."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return False

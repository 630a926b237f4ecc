"""Child processes for a run: the stub, uvicorn, the baseline client; all bounded, all reaped.

Every process is started in its own session so it (and uvicorn's workers) can
be stopped by its own process group id; nothing is ever killed by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TMP = RESULTS / "tmp"
PYTHON = sys.executable
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """A benchmark could not run (missing tool, server never ready, ...)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(url: str, timeout_s: float = 2.0) -> tuple[int, bytes]:
    if not url.startswith(f"http://{HOST}"):
        raise BenchError("loopback only")
    with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
        return int(response.status), bytes(response.read())


def http_post(
    url: str, body: bytes, timeout_s: float = 30.0, headers: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    if not url.startswith(f"http://{HOST}"):
        raise BenchError("loopback only")
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout_s: float = 3.0) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def spawn(name: str, argv: list[str], env: Mapping[str, str] | None = None) -> Child:
    TMP.mkdir(parents=True, exist_ok=True)
    log = TMP / f"{name}.log"
    full_env = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Child(name, process, log)


def wait_http(child: Child, url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise BenchError(f"{child.name} exited during start-up:\n{child.tail()}")
        with contextlib.suppress(OSError):
            status, _ = http_get(url, timeout_s=1.0)
            if status == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{child.name} not ready after {timeout_s:.0f}s:\n{child.tail()}")


@contextlib.contextmanager
def stub_server() -> Iterator[str]:
    """Start the stub upstream; yield its root URL (append /d<ms>/v1 for a delay)."""
    port = free_port()
    child = spawn("stub", [PYTHON, "-m", "bench.stub", "--port", str(port)])
    try:
        wait_http(child, f"http://{HOST}:{port}/_stats", 20)
        yield f"http://{HOST}:{port}"
    finally:
        child.stop()


def stub_stats(root: str, reset: bool = False) -> dict[str, int]:
    if reset:
        http_post(f"{root}/_stats/reset", b"{}")
    _, body = http_get(f"{root}/_stats")
    stats: dict[str, int] = json.loads(body)
    return stats


@contextlib.contextmanager
def app_server(
    name: str, env: Mapping[str, str], workers: int = 1, ready_timeout_s: float = 60.0
) -> Iterator[tuple[str, Child]]:
    """uvicorn serving bench.app (the production app + baseline routes)."""
    port = free_port()
    argv = [PYTHON, "-m", "bench.serve", "--port", str(port), "--workers", str(workers)]
    child = spawn(name, argv, env)
    try:
        wait_http(child, f"http://{HOST}:{port}/health/live", ready_timeout_s)
        yield f"http://{HOST}:{port}", child
    finally:
        child.stop()


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start) of one process, in KiB."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in {"VmRSS", "VmHWM"}:
                out[key] = int(value.split()[0])
    return out


def _proc_cpu_ticks(pid: int) -> tuple[int, int]:
    """(utime+stime of `pid`, its parent pid) in clock ticks; (0, 0) if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0
    return int(fields[11]) + int(fields[12]), int(fields[1])


def tree_cpu_s(root: int) -> float:
    """CPU seconds used so far by `root` and its direct children (uvicorn workers)."""
    total, _ = _proc_cpu_ticks(root)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != root:
            ticks, ppid = _proc_cpu_ticks(int(entry))
            if ppid == root:
                total += ticks
    return total / os.sysconf("SC_CLK_TCK")


def wait_idle(
    pid: int, max_s: float = 10.0, window_s: float = 0.2, idle_share: float = 0.05
) -> float:
    """Wait until the server stops working off a previous run (wrk leaves requests behind).

    Returns the seconds waited; gives up after `max_s`.
    """
    began = time.monotonic()
    while time.monotonic() - began < max_s:
        cpu0 = tree_cpu_s(pid)
        time.sleep(window_s)
        if tree_cpu_s(pid) - cpu0 <= idle_share * window_s:
            break
    return round(time.monotonic() - began, 2)


def machine_busy(sample_s: float = 1.0) -> float:
    """Share of all CPUs busy over `sample_s` (before a run: other people's load)."""

    def read() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        idle = values[3] + values[4]
        return sum(values), idle

    total0, idle0 = read()
    time.sleep(sample_s)
    total1, idle1 = read()
    return round(1 - (idle1 - idle0) / max(1, total1 - total0), 3)


def require_tool(name: str, apt_package: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"bench: installing {apt_package} (apt-get) for {name} ...", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", apt_package],
            check=False,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        path = shutil.which(name)
        if path:
            return path
    raise BenchError(f"`{name}` is missing: install it with `sudo apt-get install {apt_package}`")


def require_python(module: str, pip_spec: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        raise BenchError(
            f"python module {module!r} is missing: `.venv/bin/pip install '{pip_spec}'` "
            f"(or `pip install -e '.[bench]'`)"
        ) from exc

"""Load generators: wrk (throughput/latency), an exact burst, the baseline client.

All of them are bounded by a duration or a request count plus a hard
subprocess timeout, so a run always stops by itself.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from bench._proc import PYTHON, ROOT, TMP, BenchError, require_tool, tree_cpu_s

LUA = ROOT / "bench" / "post.lua"


def body_file(name: str, body: bytes) -> Path:
    TMP.mkdir(parents=True, exist_ok=True)
    path = TMP / f"{name}.json"
    path.write_bytes(body)
    return path


def run_wrk(
    url: str,
    body: Path,
    connections: int,
    duration_s: float,
    timeout_s: float = 10.0,
    api_key: str = "",
    cpu_pid: int | None = None,
    start: int = 0,
) -> dict[str, Any]:
    """One wrk run (one thread: the machine has 2 cores to share with the server).

    With `cpu_pid`, also the server's CPU time per request (its process tree):
    far less sensitive to other load on the machine than latency is. A body
    with "@@" slots is a template (see post.lua); `start` is its first counter.
    """
    wrk = require_tool("wrk", "wrk")
    cpu0 = tree_cpu_s(cpu_pid) if cpu_pid else 0.0
    seconds, timeout = max(1, round(duration_s)), max(1, round(timeout_s))
    argv = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout}s",
        "-s",
        str(LUA),
        url,
        "--",
        str(body),
        api_key,
        str(start),
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise BenchError(
            f"wrk failed ({done.returncode}): {done.stdout[-500:]}{done.stderr[-500:]}"
        )
    cpu = tree_cpu_s(cpu_pid) - cpu0 if cpu_pid else None
    raw: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = (
        raw["errors_connect"]
        + raw["errors_read"]
        + raw["errors_write"]
        + raw["errors_timeout"]
        + raw["non2xx"]
    )
    return {
        "tool": "wrk",
        "concurrency": connections,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "errors": errors,
        "timeouts": raw["errors_timeout"],
        "non2xx": raw["non2xx"],
        "composer": raw["composer"],
        "cached": raw["cached"],
        "bytes_per_response": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
        "server_cpu_ms_per_req": (
            round(cpu * 1000 / raw["requests"], 3) if cpu is not None and raw["requests"] else None
        ),
    }


def run_client(
    base_url: str,
    transport: str,
    concurrency: int,
    duration_s: float,
    max_connections: int,
    burst: bool = False,
    construct: bool = False,
    warmup_cap_s: float = 15.0,
) -> dict[str, Any]:
    """The bare openai client in its own process (see bench/client.py)."""
    argv = [
        PYTHON,
        "-m",
        "bench.client",
        "--base-url",
        base_url,
        "--transport",
        transport,
        "-c",
        str(concurrency),
        "--duration",
        str(duration_s),
        "--max-connections",
        str(max_connections),
        "--warmup-cap",
        str(warmup_cap_s),
    ]
    if burst:
        argv.append("--burst")
    if construct:
        argv.append("--construct")
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, timeout=duration_s + 90, check=False
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"bench.client failed ({done.returncode}): {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["tool"] = f"openai+{transport}"
    return result


def run_burst(
    url: str, body: Path, requests: int, deadline_s: float, api_key: str = ""
) -> dict[str, Any]:
    """Exactly `requests` POSTs at once, bodies checked (see bench/burst.py)."""
    argv = [
        PYTHON,
        "-m",
        "bench.burst",
        "--url",
        url,
        "--body",
        str(body),
        "-n",
        str(requests),
        "--deadline",
        str(deadline_s),
        "--api-key",
        api_key,
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, timeout=deadline_s + 60, check=False
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"bench.burst failed ({done.returncode}): {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result

"""Scenarios 5-6 and the Redis checks: embedded model, worker scaling, round trips per request."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import time
from collections import Counter
from typing import Any

from bench._fixtures import REWRITE_REQUEST
from bench._proc import HOST, TMP, app_server, http_post, spawn, wait_idle
from bench._scenarios import ANALYZE_BODY, REWRITE_BODY, Run, draft_series

BENCH_REDIS_DB = 14
BENCH_REDIS_URL = f"redis://{HOST}:6379/{BENCH_REDIS_DB}"
EMBEDDED_TEARDOWN_S = 8.0


# ------------------------------------------------------------------ Redis checks


def redis_available() -> bool:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["redis-cli", "-u", BENCH_REDIS_URL, "ping"],
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
        return done.stdout.strip() == "PONG"
    return False


def redis_flush() -> None:
    subprocess.run(
        ["redis-cli", "-u", BENCH_REDIS_URL, "flushdb"], capture_output=True, timeout=5, check=False
    )


def redis_dbsize() -> int:
    done = subprocess.run(
        ["redis-cli", "-u", BENCH_REDIS_URL, "dbsize"],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    try:
        return int(done.stdout.strip())
    except ValueError:
        return -1


_MONITOR_LINE = re.compile(r'^[\d.]+ \[(\d+) ([^\]]+)\] "([A-Za-z]+)"')


def redis_commands_per_request(
    run: Run, base: str, path: str, requests: int = 50
) -> dict[str, Any]:
    """Redis MONITOR while `requests` sequential POSTs run: commands per request, by name.

    One EVALSHA/EVAL/FCALL is one atomic round trip; MULTI..EXEC is one pipelined
    transaction. Everything that reaches db 14 is counted (cache, limiter, keys).
    """
    TMP.mkdir(parents=True, exist_ok=True)
    if run.server_pid:
        wait_idle(run.server_pid)  # requests left over from a previous wrk run would count
    monitor = spawn("redis-monitor", ["redis-cli", "-p", "6379", "monitor"])
    try:
        time.sleep(0.3)
        body = (ANALYZE_BODY if path.endswith("analyze") else REWRITE_BODY).read_bytes()
        headers = {"Authorization": f"Bearer {run.api_key}"} if run.api_key else {}
        for _ in range(requests):
            http_post(f"{base}{path}", body, headers=headers)
        time.sleep(0.3)
    finally:
        monitor.stop()
    counts: Counter[str] = Counter()
    inside: Counter[str] = Counter()  # run by a Lua script: no round trip of their own
    for line in monitor.log.read_text(errors="replace").splitlines():
        match = _MONITOR_LINE.match(line)
        if match and int(match.group(1)) == BENCH_REDIS_DB:
            target = inside if match.group(2) == "lua" else counts
            target[match.group(3).upper()] += 1
    per_request = {name: round(n / requests, 2) for name, n in counts.most_common()}
    scripts = sum(counts[n] for n in ("EVALSHA", "EVAL", "EVALSHA_RO", "FCALL")) / requests
    return {
        "path": path,
        "requests": requests,
        "commands_per_request": per_request,
        "inside_scripts_per_request": {n: round(v / requests, 2) for n, v in inside.most_common()},
        "script_calls_per_request": round(scripts, 2),
        "round_trips_per_request": round(sum(counts.values()) / requests, 2),
    }


# -------------------------------------------------------------- 5. embedded model


async def _tokens_per_second(
    base_url: str, model: str, samples: int, max_tokens: int, end: float
) -> dict[str, Any]:
    """Stream the rendered prompt: time to first token and decode tokens/s.

    Each sample is cut off at the scenario's deadline; a cut-off sample still
    counts what it streamed (llama.cpp sends one token per chunk).
    """
    from bench.client import rendered_messages
    from service.llm import build_openai_client

    client = build_openai_client(
        base_url=base_url, api_key="bench", timeout_s=300, max_connections=4
    )
    rows: list[dict[str, Any]] = []
    try:
        for _ in range(samples):
            if end - time.monotonic() < 3:
                break
            began = time.perf_counter()
            first: float | None = None
            chunks, usage, cut = 0, None, False
            try:
                async with asyncio.timeout(end - time.monotonic()):
                    messages: Any = rendered_messages()
                    stream = await client.chat.completions.create(
                        model=model,
                        messages=messages,
                        max_tokens=max_tokens,
                        temperature=0.3,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                    async for chunk in stream:
                        if chunk.choices and chunk.choices[0].delta.content:
                            chunks += 1
                            first = first or time.perf_counter()
                        if chunk.usage is not None:
                            usage = chunk.usage
            except TimeoutError:
                cut = True
            ended = time.perf_counter()
            completion = usage.completion_tokens if usage else chunks
            prompt = usage.prompt_tokens if usage else None
            ttft = (first or ended) - began
            decode_s = max(1e-6, ended - (first or ended))
            rows.append(
                {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "cut_off": cut,
                    "ttft_s": round(ttft, 3),
                    "total_s": round(ended - began, 3),
                    "prompt_tokens_per_s": round(prompt / ttft, 1) if prompt and first else None,
                    "decode_tokens_per_s": round(max(0, completion - 1) / decode_s, 1)
                    if first
                    else None,
                }
            )
    finally:
        await client.close()

    def median(key: str) -> float | None:
        values = [float(r[key]) for r in rows if r[key] is not None]
        return statistics.median(values) if values else None

    return {
        "samples": rows,
        "decode_tokens_per_s_median": median("decode_tokens_per_s"),
        "prompt_tokens_per_s_median": median("prompt_tokens_per_s"),
        "ttft_s_median": median("ttft_s"),
    }


def other_llama_servers(ours: int | None) -> int:
    """llama.cpp servers of other processes: they share the 2 cores and slow ours down."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != ours:
            with contextlib.suppress(OSError), open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"llama_cpp.server" in f.read():
                    count += 1
    return count


async def _embedded(run: Run, budget_s: float) -> dict[str, Any]:
    from service.llm import EmbeddedServer
    from service.settings import Settings

    # Stopping the app and llama.cpp (a request may still be running) takes a few seconds.
    end = time.monotonic() + budget_s - EMBEDDED_TEARDOWN_S
    defaults = Settings()
    max_tokens = defaults.embedded_max_tokens
    result: dict[str, Any] = {
        "model": "SmolLM2-135M-Instruct (llama.cpp, embedded)",
        "max_tokens": max_tokens,
        "budget_s": round(budget_s, 1),
    }
    rows: list[dict[str, Any]] = []
    async with EmbeddedServer() as server:
        result["startup_s"] = round(server.startup_s or 0, 2)
        result["other_llama_servers"] = other_llama_servers(server.pid)
        # At most 40% of the budget for raw tokens/s: the end-to-end rewrites matter more.
        tokens_end = time.monotonic() + 0.4 * (end - time.monotonic())
        result["tokens"] = await _tokens_per_second(
            server.base_url,
            server.model_name,
            run.plan.embedded_token_samples,
            max_tokens,
            tokens_end,
        )
        # The app's embedded wiring, made explicit: same server, tokens and time limits as
        # when it starts SmolLM2 itself (this way one llama.cpp start serves both halves).
        env = {
            **run.env,
            "OPENAI_BASE_URL": server.base_url,
            "TACTFUL_MODEL": server.model_name,
            "TACTFUL_MAX_TOKENS": str(max_tokens),
            "TACTFUL_MODEL_TIMEOUT_S": str(defaults.embedded_timeout_s),
            "TACTFUL_MODEL_DEADLINE_S": str(defaults.embedded_deadline_s),
            "TACTFUL_CACHE_TTL_S": "0",
        }
        if end - time.monotonic() > 8:
            with app_server("app-embedded", env) as (base, _child):
                headers = {"Authorization": f"Bearer {run.api_key}"} if run.api_key else {}
                for i in range(run.plan.embedded_requests):
                    left = end - time.monotonic()
                    if left < 3:
                        break
                    request = json.loads(json.dumps(REWRITE_REQUEST))
                    request["options"]["temperature"] = round(0.2 + 0.1 * (i % 5), 2)
                    began = time.perf_counter()
                    try:
                        status, raw = await asyncio.to_thread(
                            http_post,
                            f"{base}/v1/rewrites",
                            json.dumps(request).encode(),
                            left,
                            headers,
                        )
                    except OSError:  # timed out at the scenario's deadline
                        rows.append(
                            {
                                "status": "cut off",
                                "latency_s": round(time.perf_counter() - began, 1),
                            }
                        )
                        break
                    elapsed = time.perf_counter() - began
                    body = json.loads(raw) if status == 200 else {}
                    rows.append(
                        {
                            "status": status,
                            "latency_s": round(elapsed, 3),
                            "source": body.get("source"),
                            "repaired": body.get("repaired"),
                            "degraded_reason": body.get("degraded_reason"),
                            "completion_tokens": (body.get("usage") or {}).get("completion_tokens"),
                        }
                    )
                    run.log(
                        f"embedded #{i + 1}: {status} {elapsed:.1f}s"
                        f" source={body.get('source')} repaired={body.get('repaired')}"
                    )
    ok = [r for r in rows if r["status"] == 200]
    first_pass = sum(1 for r in ok if r["source"] == "model" and not r["repaired"])
    repaired = sum(1 for r in ok if r["source"] == "model" and r["repaired"])
    latencies = sorted(r["latency_s"] for r in ok)
    result.update(
        {
            "requests": rows,
            "raw_pass_rate": round(first_pass / len(ok), 3) if ok else None,
            "repaired_pass_rate": round(repaired / len(ok), 3) if ok else None,
            "composer_rate": round((len(ok) - first_pass - repaired) / len(ok), 3) if ok else None,
            "latency_p50_s": statistics.median(latencies) if latencies else None,
            "latency_max_s": latencies[-1] if latencies else None,
        }
    )
    return result


def embedded_model(run: Run) -> dict[str, Any]:
    budget = min(run.plan.embedded_cap_s, run.left())
    if budget < 15:
        return {"error": f"skipped: {budget:.0f}s left in the run's time budget"}
    return asyncio.run(asyncio.wait_for(_embedded(run, budget), budget + 30))


# -------------------------------------------------------------------- 6. scaling


def scaling_point(run: Run, base: str, workers: int) -> dict[str, Any]:
    plan, c = run.plan, run.plan.scaling_concurrency
    run.set_delay(0)
    # Distinct drafts (typing sessions): every request is analyzed in whichever worker.
    typing = draft_series()["typing"]
    # Long enough for every worker to take connections and warm up.
    run.wrk(f"{base}/v1/analyze", typing, c, plan.warmup_s)
    analyze = run.wrk(f"{base}/v1/analyze", typing, c, max(2.0, plan.fast_duration_s))
    point: dict[str, Any] = {"workers": workers, "analyze": analyze}
    if plan.scaling_cached:
        run.wrk(f"{base}/v1/rewrites", REWRITE_BODY, c, plan.warmup_s)
        point["cached_rewrite"] = run.wrk(f"{base}/v1/rewrites", REWRITE_BODY, c)
    run.log(
        f"workers={workers}: analyze {analyze['rps']} rps p99 {analyze['p99_ms']} ms,"
        f" server CPU/req {analyze['server_cpu_ms_per_req']} ms"
    )
    return point


def scaling(run: Run, env: dict[str, str], first: dict[str, Any] | None) -> dict[str, Any]:
    """Analyze throughput on typing drafts per worker count (plus cache hits in full mode)."""
    points = [first] if first and "error" not in first else []
    for workers in run.plan.workers:
        if any(p["workers"] == workers for p in points):
            continue
        if run.left() < 12:
            run.notes.append(
                f"scaling: {workers} workers skipped to stay within the "
                f"{run.plan.budget_s:.0f} s budget of this mode"
            )
            continue
        with app_server(f"app-w{workers}", env, workers=workers) as (base, child):
            run.server_pid = child.pid
            points.append(scaling_point(run, base, workers))
    points.sort(key=lambda p: int(p["workers"]))
    base_rps = points[0]["analyze"]["rps"] or 1
    for point in points:
        point["analyze_speedup"] = round(point["analyze"]["rps"] / base_rps, 2)
    return {"concurrency": run.plan.scaling_concurrency, "cpus": os.cpu_count(), "points": points}

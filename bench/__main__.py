"""`python -m bench [--quick] [--only a,b]`: run the suite, write results/<ts>.json + latest.*.

Loopback only; every measurement is bounded in time and requests; every child
process is stopped on exit. See bench/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bench import _extra, _report, _scenarios, _sweep, _user
from bench._plan import FULL, QUICK, Plan
from bench._proc import (
    RESULTS,
    TMP,
    BenchError,
    app_server,
    machine_busy,
    require_python,
    require_tool,
    stub_server,
)
from bench._scenarios import MAX_CONNECTIONS, Run

SCENARIOS = (
    "analyze",
    "worst",
    "quickstart",
    "rewrite",
    "transports",
    "cached",
    "burst",
    "scaling",
    "embedded",
)
UNLIMITED = "1000000000"


def base_env(redis: bool) -> dict[str, str]:
    env = {
        "OPENAI_API_KEY": "bench",
        "TACTFUL_MODEL": "bench-stub",
        "TACTFUL_MODEL_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "TACTFUL_EMBEDDED_MODEL": "off",
        "TACTFUL_LOG_LEVEL": "WARNING",
        "TACTFUL_REDIS_PREFIX": "bench",
        "BENCH_PAYLOADS": str(TMP / "payloads.json"),
        # The limiter still runs on every request (its cost is measured); it never denies.
        **{
            f"TACTFUL_RATE_{kind}_{what}": UNLIMITED
            for kind in ("REWRITE", "ANALYZE", "DEFAULT")
            for what in ("PER_MIN", "BURST")
        },
    }
    for name in ("OPENAI_BASE_URL", "REDIS_URL", "TACTFUL_API_KEYS_FILE"):
        os.environ.pop(name, None)  # nothing from the caller's shell leaks into the servers
    if redis:
        env["REDIS_URL"] = _extra.BENCH_REDIS_URL
    return env


def preflight() -> None:
    require_tool("wrk", "wrk")
    require_python("matplotlib", "matplotlib")
    require_python("aiohttp", "openai[aiohttp]")


def attempt(results: dict[str, Any], key: str, fn: Callable[[], Any], append: bool = False) -> None:
    """Run one scenario; a failure is recorded in the results, and the suite goes on."""
    try:
        value = fn()
    except Exception as exc:  # one broken scenario must not lose the others' numbers
        value = {"error": f"{type(exc).__name__}: {str(exc)[:600]}"}
        print(f"  ! {key} failed: {value['error'][:300]}", flush=True)
    if append:
        results.setdefault(key, []).append(value)
    else:
        results[key] = value


def run_suite(plan: Plan, only: set[str]) -> dict[str, Any]:
    import uvicorn

    began = time.monotonic()
    busy = machine_busy()
    redis = _extra.redis_available()
    if redis:
        _extra.redis_flush()
    env = base_env(redis)
    results: dict[str, Any] = {
        "meta": {
            "mode": plan.name,
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "uvicorn": uvicorn.__version__,
            "load_generator": "wrk 4.1 (1 thread); bench.burst (aiohttp) for bursts",
            "server": "1 worker, as `tactful serve` (asyncio loop + h11: uvloop/httptools absent)",
            "machine_busy_before": busy,
            "loadavg_before": _loadavg(),
            "plan": plan.__dict__,
            "redis": redis,
        }
    }
    notes: list[str] = []
    if busy > 0.25:
        notes.append(
            f"The machine was {busy:.0%} busy before the run (other processes): "
            "latencies are inflated; ratios (same run, interleaved) hold better."
        )
    if "analyze" in only:
        print("analysis in process ...", flush=True)
        attempt(
            results,
            "analysis_in_process",
            lambda: _scenarios.analysis_in_process(plan.analysis_calls),
        )
    if "worst" in only:
        print("analysis worst case in process ...", flush=True)
        attempt(results, "worst_case", _user.worst_case_analysis)
        print("module patterns over 20 KB runs ...", flush=True)
        attempt(results, "regex_sweep", _sweep.regex_sweep)
    with stub_server() as stub:
        env["OPENAI_BASE_URL"] = f"{stub}/v1"
        run = Run(plan=plan, stub=stub, env=env, notes=notes)
        run.set_delay(0)
        nocache = {**env, "TACTFUL_CACHE_TTL_S": "0"}
        print("server: cache off, aiohttp transport (production build)", flush=True)
        with app_server("app-nocache", nocache) as (base, child):
            run.server_pid = child.pid
            results["check"] = _scenarios.capture_payloads(run, base)
            if "analyze" in only:
                attempt(results, "analyze", lambda: _scenarios.analyze_path(run, base))
            if redis:
                attempt(
                    results,
                    "rl_analyze",
                    lambda: _extra.redis_commands_per_request(run, base, "/v1/analyze"),
                )
            if "rewrite" in only:
                attempt(results, "rewrite", lambda: _scenarios.rewrite_overhead(run, base))
            if "transports" in only:
                for c in plan.app_transport_concurrencies:
                    attempt(
                        results,
                        "app_transports",
                        append=True,
                        fn=partial(_scenarios.rewrite_at, run, base, "aiohttp (production)", c, 50),
                    )
            if "burst" in only:
                attempt(
                    results,
                    "burst",
                    append=True,
                    fn=lambda: _scenarios.many_in_flight(
                        run, base, child, "app, aiohttp transport (production)"
                    ),
                )
        if ("burst" in only and plan.burst_aiohttp_app) or (
            plan.app_transport_concurrencies and "transports" in only
        ):
            print("server: cache off, httpx transport (TACTFUL_MODEL_TRANSPORT=httpx)", flush=True)
            with app_server("app-httpx", {**nocache, "TACTFUL_MODEL_TRANSPORT": "httpx"}) as (
                base,
                child,
            ):
                run.server_pid = child.pid
                _scenarios.capture_payloads(run, base)
                if "transports" in only:
                    for c in plan.app_transport_concurrencies:
                        attempt(
                            results,
                            "app_transports",
                            append=True,
                            fn=partial(_scenarios.rewrite_at, run, base, "httpx", c, 50),
                        )
                if "burst" in only and plan.burst_aiohttp_app:
                    attempt(
                        results,
                        "burst",
                        append=True,
                        fn=lambda: _scenarios.many_in_flight(
                            run, base, child, "app, httpx transport"
                        ),
                    )
        if "transports" in only:
            print("bare client transports", flush=True)
            attempt(results, "transports", lambda: _scenarios.transports(run))
            if "error" not in results["transports"]:
                results["transports"]["app"] = results.pop("app_transports", [])
                results["transports"]["recommendation"] = recommend(results["transports"])
        if "burst" in only:
            for transport in plan.burst_client_transports:
                attempt(
                    results,
                    "burst",
                    append=True,
                    fn=partial(_scenarios.client_burst, run, transport),
                )
        cached_env = {**env, "TACTFUL_CACHE_TTL_S": "300"}
        if "cached" in only:
            print("server: cache on", flush=True)
            if redis:
                _extra.redis_flush()
            with app_server("app-cache", cached_env) as (base, child):
                run.server_pid = child.pid
                _scenarios.capture_payloads(run, base)
                results["cache_backend"] = (
                    "redis" if redis and _extra.redis_dbsize() > 0 else "memory (in-process)"
                )
                attempt(results, "cached", lambda: _scenarios.cached_rewrites(run, base))
                if redis:
                    attempt(
                        results,
                        "rl_rewrite_cached",
                        lambda: _extra.redis_commands_per_request(run, base, "/v1/rewrites"),
                    )
                if "scaling" in only and 1 in plan.workers:
                    # This server is the 1-worker point of the scaling curve (same env).
                    attempt(results, "scaling_w1", lambda: _extra.scaling_point(run, base, 1))
        if "quickstart" in only:
            print("server: README quick start (no model: the editor answers)", flush=True)
            quick_env = {k: v for k, v in env.items() if k not in {"OPENAI_BASE_URL"}}
            quick_env.pop("TACTFUL_MODEL", None)
            quick_env.pop("OPENAI_API_KEY", None)
            with app_server("app-quickstart", quick_env) as (base, child):
                run.server_pid = child.pid
                attempt(results, "quickstart", lambda: _user.quickstart(run, base))
        if "scaling" in only:
            print(f"scaling: {plan.workers} workers", flush=True)
            attempt(
                results,
                "scaling",
                lambda: _extra.scaling(run, cached_env, results.pop("scaling_w1", None)),
            )
    if "embedded" in only:
        print(
            f"embedded model (SmolLM2 via llama.cpp), {min(plan.embedded_cap_s, run.left()):.0f}"
            " s budget",
            flush=True,
        )
        attempt(results, "embedded", lambda: _extra.embedded_model(run))
    round_trips = {
        k.removeprefix("rl_"): results.pop(k) for k in list(results) if k.startswith("rl_")
    }
    if round_trips:
        round_trips["limiter_wired"] = bool(
            round_trips.get("analyze", {}).get("script_calls_per_request")
        )
        results["redis_round_trips"] = round_trips
    if not redis:
        notes.append(
            "Redis was not reachable at 127.0.0.1:6379: cache hits and scaling ran "
            "on the in-process cache."
        )
    results["notes"] = notes
    results["meta"]["loadavg_after"] = _loadavg()
    results["meta"]["wall_s"] = round(time.monotonic() - began, 1)
    results["targets"] = _report.targets(results)
    return results


def _loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def recommend(transports: dict[str, Any]) -> str:
    """The transport that finished most requests at the highest concurrency, then best p99."""
    top = max(p["concurrency"] for p in transports["points"])
    at_top = [p for p in transports["points"] if p["concurrency"] == top]

    def p99(point: dict[str, Any]) -> float:
        value = point.get("p99_ms")
        return float(value) if isinstance(value, int | float) and value == value else 1e12

    best = min(at_top, key=lambda p: (-int(p["requests"]), int(p["errors"]), p99(p)))
    others = "; ".join(
        f"{p['transport']}: {p['rps']} rps, p99 {p['p99_ms']} ms, "
        f"{p['cpu_ms_per_call']} ms CPU/call"
        for p in at_top
        if p is not best
    )
    return (
        f"`{best['transport']}` (at {top} in flight: {best['rps']} rps, p99 "
        f"{best['p99_ms']} ms, {best['cpu_ms_per_call']} ms CPU/call; {others})."
    )


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results["meta"]["started"].replace(":", "").replace("-", "")
    clean = _report.clean(results)
    text = json.dumps(clean, indent=1)
    (RESULTS / f"{stamp}-{results['meta']['mode']}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / "latest.md").write_text(_report.markdown(clean))
    _report.plot(clean, RESULTS / "latest.png")
    print(f"wrote {RESULTS / 'latest.md'}, latest.json, latest.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="under 2 minutes")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)}",
    )
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := only - set(SCENARIOS):
        parser.error(f"unknown scenarios: {sorted(unknown)}")
    try:
        preflight()
        results = run_suite(QUICK if args.quick else FULL, only)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    write(results)
    for row in results["targets"]:
        print(f"  [{row['status']}] {row['target']}: {row['measured']} (goal {row['goal']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

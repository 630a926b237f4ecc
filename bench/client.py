"""The baseline: the bare `openai` client calling the stub directly, in its own process.

This is what a caller would get by talking to the model themselves, so the
honest baseline for "what Tactful adds" is this client, not zero. It sends
the very messages Tactful renders for the benchmark draft, with the same
parameters, through one of three transports:

  httpx    `AsyncOpenAI` over a plain `httpx.AsyncClient` (what service/llm builds)
  httpx2   the SDK's default transport
  aiohttp  `openai.DefaultAioHttpClient` (needs `openai[aiohttp]`)

A closed loop of `--concurrency` workers, bounded by `--max-requests` and
`--duration`; prints one JSON object (latencies from time.perf_counter_ns).

Run: python -m bench.client --base-url http://127.0.0.1:8900/d0/v1 --transport httpx -c 16
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from typing import Any

import openai

from bench._fixtures import CONTEXT, DRAFT

MODEL = "bench-stub"
MAX_TOKENS = 600
TEMPERATURE = 0.3
TIMEOUT_S = 20.0


def rendered_messages() -> list[dict[str, str]]:
    """The messages Tactful sends for the benchmark draft (same size, same content)."""
    try:
        from service.analysis import analyze
        from service.budget import resolve_budget
        from service.models import Context, Message
        from service.prompting import load_prompts, render_rewrite
        from service.strategies import suggest_strategy

        draft, context = Message.model_validate(DRAFT), Context.model_validate(CONTEXT)
        budget = resolve_budget(draft.channel, max_words=None, max_chars=None)
        before = analyze(draft, context=context, budget=budget)
        strategy = suggest_strategy(context, frozenset(before.rules()))
        messages = render_rewrite(
            load_prompts(),
            strategy=strategy.id,
            draft=draft,
            context=context,
            analysis=before,
            budget=budget,
        )
        return [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]
    except Exception as exc:  # the service may be mid-change; keep the baseline running
        print(
            f"bench.client: using a synthetic prompt ({type(exc).__name__}: {exc})", file=sys.stderr
        )
        return [
            {"role": "system", "content": "x" * 6000},
            {"role": "user", "content": json.dumps(DRAFT) + json.dumps(CONTEXT)},
        ]


def aiohttp_client(max_connections: int) -> Any:
    """The SDK's aiohttp transport with the same pool size as the httpx one (all keep-alive)."""
    import httpx2

    return openai.DefaultAioHttpClient(
        limits=httpx2.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
    )


def build_client(transport: str, base_url: str, max_connections: int) -> openai.AsyncOpenAI:
    if transport == "httpx":
        from service.llm import build_openai_client

        return build_openai_client(
            base_url=base_url,
            api_key="bench",
            timeout_s=TIMEOUT_S,
            max_connections=max_connections,
            transport="httpx",
        )
    if transport == "httpx2":
        return openai.AsyncOpenAI(
            base_url=base_url, api_key="bench", max_retries=0, timeout=TIMEOUT_S
        )
    if transport == "aiohttp":
        return openai.AsyncOpenAI(
            base_url=base_url,
            api_key="bench",
            max_retries=0,
            timeout=TIMEOUT_S,
            http_client=aiohttp_client(max_connections),
        )
    raise SystemExit(f"unknown transport {transport!r}")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def summarize(
    latencies_ns: list[int], errors: dict[str, int], wall_s: float, cpu_s: float
) -> dict[str, Any]:
    ms = sorted(v / 1e6 for v in latencies_ns)
    done = len(ms)
    return {
        "requests": done,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "wall_s": round(wall_s, 3),
        "rps": round(done / wall_s, 1) if wall_s > 0 else 0.0,
        "p50_ms": round(percentile(ms, 50), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(ms[-1], 3) if ms else float("nan"),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
        "cpu_ms_per_call": round(cpu_s * 1000 / done, 3) if done else float("nan"),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    messages = rendered_messages()
    client = build_client(args.transport, args.base_url, args.max_connections)
    kwargs: dict[str, Any] = {
        "model": MODEL,
        "messages": messages,
        "temperature": TEMPERATURE,
        "max_tokens": MAX_TOKENS,
    }
    latencies: list[int] = []
    errors: dict[str, int] = {}

    async def one() -> None:
        began = time.perf_counter_ns()
        try:
            answer = await client.chat.completions.create(**kwargs, stream=False)
            if not answer.choices or not answer.choices[0].message.content:
                raise ValueError("empty answer")
        except Exception as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        else:
            latencies.append(time.perf_counter_ns() - began)

    try:
        # Warm-up: open the pool to the target size so connection set-up is not measured
        # (bounded: a transport that cannot cope shows it in the measured part).
        warm = [
            asyncio.ensure_future(one())
            for _ in range(min(args.concurrency, 1 if args.burst else args.warmup_max))
        ]
        _, slow = await asyncio.wait(warm, timeout=args.warmup_cap)
        for task in slow:
            task.cancel()
        await asyncio.gather(*slow, return_exceptions=True)
        latencies.clear()
        errors.clear()
        issued = 0
        deadline = time.perf_counter() + args.duration

        async def worker() -> None:
            nonlocal issued
            while issued < args.max_requests and time.perf_counter() < deadline:
                issued += 1
                await one()

        unfinished = 0

        cpu0, began = time.process_time(), time.perf_counter()
        if args.burst:
            # Exactly `concurrency` requests at once (the "many in flight" shape); any
            # request still running after --duration seconds counts as a timeout.
            tasks = [asyncio.ensure_future(one()) for _ in range(args.concurrency)]
            _, pending = await asyncio.wait(tasks, timeout=args.duration)
            for task in pending:
                task.cancel()
            if pending:
                errors["timeout"] = errors.get("timeout", 0) + len(pending)
                await asyncio.gather(*pending, return_exceptions=True)
        else:
            # Stop at the deadline: requests still in flight then are cut off, not waited for
            # (a transport that collapses would otherwise stretch the run without bound).
            workers = [asyncio.ensure_future(worker()) for _ in range(args.concurrency)]
            _, running = await asyncio.wait(workers, timeout=args.duration)
            unfinished = len(running)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu0
        result = summarize(latencies, errors, wall, cpu)
        result.update(
            transport=args.transport, concurrency=args.concurrency, cut_off_at_deadline=unfinished
        )
        return result
    finally:
        # Bounded: closing a pool that collapsed can take longer than the run itself.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.close(), 3)


def measure_construct(n: int = 10) -> float:
    """Milliseconds to build one `AsyncOpenAI` (why the app builds one per process)."""
    samples = []
    for _ in range(n):
        began = time.perf_counter_ns()
        client = openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="x")
        samples.append((time.perf_counter_ns() - began) / 1e6)
        del client
    return round(statistics.median(samples), 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--transport", choices=["httpx", "httpx2", "aiohttp"], default="httpx")
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--max-connections", type=int, default=1000)
    parser.add_argument("--warmup-max", type=int, default=1000)
    parser.add_argument("--warmup-cap", type=float, default=15.0, help="seconds, at most")
    parser.add_argument("--burst", action="store_true", help="send exactly -c requests at once")
    parser.add_argument("--construct", action="store_true", help="also time AsyncOpenAI()")
    args = parser.parse_args(argv)
    if not args.base_url.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("loopback only")
    result = asyncio.run(run(args))
    if args.construct:
        result["construct_ms"] = measure_construct()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Where users feel it: the README's quick-start rewrite over HTTP, and the analyzer's worst case.

- *Quick start*: `POST /v1/rewrites` on a server with no model configured (the
  README's default: the draft-preserving editor answers), distinct drafts,
  one request at a time, over HTTP. Absolute targets: p50 <= 100 ms, p99 <= 500 ms.
- *Worst case*: adversarial 20,000-character bodies and large, digit-heavy
  contexts, every request within the HTTP body limit; analysis CPU of each
  (thread CPU time, best of a few runs) against the linear-time guarantee of
  issue #10: no input may take more than 50 ms of analysis CPU.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench._fixtures import CONTEXT, DRAFT_BODY
from bench._proc import http_post
from bench._scenarios import Run, draft_series

BODY_LIMIT = 64 * 1024  # service.settings.DEFAULT_MAX_BODY_BYTES
MAX_BODY = 20_000  # service.models.MAX_BODY_CHARS

_UNITS = (
    "!",
    ".",
    "?!",
    "1!",
    "-1",
    "a ",
    "\n",
    "[",
    "🙌 A",
    ",1",
    "just checking in ",
    "sign by friday and get 20% off ",
    "I haven't heard back, ",
    "our industry-leading platform ",
    "call me at 555-0143 ",
    "$1,200 ",
    "Sam Lee at Acme ",
    "we we we our our us ",
    "Q3 2024 12.5% 3x 48h ",
)
_DIGITS = "Order 48213-77 shipped 2024-03-01; call 555-0143 ext 12, PO #99812, 3.5% of $12,400. "


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _fit(request: dict[str, Any]) -> dict[str, Any]:
    """Shrink the context's longest texts until the JSON fits the HTTP body limit."""
    while len(json.dumps(request).encode()) > BODY_LIMIT - 512:
        context = request.get("context") or {}
        messages = context.get("prospect_messages") or []
        if messages:
            messages.pop()
        elif context.get("notes"):
            context["notes"] = context["notes"][: len(context["notes"]) * 3 // 4]
        else:
            request["draft"]["body"] = request["draft"]["body"][:-1000]
    return request


def worst_case_requests() -> list[tuple[str, dict[str, Any]]]:
    """Named adversarial /v1/analyze requests, each within the body limit."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for unit in _UNITS:
        body = _fill(unit, MAX_BODY)
        cases.append((f"body x {unit.strip()[:16]!r}", {"draft": {"body": body}}))
        cases.append(
            (
                f"body x {unit.strip()[:16]!r} + context",
                _fit({"draft": {"body": body}, "context": json.loads(json.dumps(CONTEXT))}),
            )
        )
    email = _fill(DRAFT_BODY + "\n\n", MAX_BODY)
    digits = _fill(_DIGITS, 2_000)
    big_context = {
        **json.loads(json.dumps(CONTEXT)),
        "notes": _fill(_DIGITS, 20_000),
        "prospect_messages": [digits] * 20,
        "goal": digits,
    }
    cases.append(("150-word email x 20 KB", {"draft": {"body": email}}))
    cases.append(
        (
            "email + digit-heavy context",
            _fit({"draft": {"body": DRAFT_BODY}, "context": big_context}),
        )
    )
    cases.append(
        (
            "20 KB digits + digit-heavy context",
            _fit(
                {
                    "draft": {"body": _fill(_DIGITS, MAX_BODY)},
                    "context": json.loads(json.dumps(big_context)),
                }
            ),
        )
    )
    cases.append(
        (
            "20 KB email + original + context",
            _fit(
                {
                    "draft": {"body": email[:15_000]},
                    "original": {"body": _fill(_DIGITS, 15_000)},
                    "context": json.loads(json.dumps(big_context)),
                }
            ),
        )
    )
    return cases


def worst_case_analysis(repeats: int = 3) -> dict[str, Any]:
    """Analysis CPU (thread time, best of `repeats`) of every adversarial request."""
    from service.analysis import analyze
    from service.models import AnalyzeRequest

    rows = []
    for name, payload in worst_case_requests():
        raw = json.dumps(payload).encode()
        request = AnalyzeRequest.model_validate_json(raw)
        best_analysis, best_full = float("inf"), float("inf")
        for _ in range(repeats):
            began = time.thread_time_ns()
            analyze(request.draft, context=request.context, original=request.original)
            best_analysis = min(best_analysis, (time.thread_time_ns() - began) / 1e6)
            began = time.thread_time_ns()
            req = AnalyzeRequest.model_validate_json(raw)
            analyze(req.draft, context=req.context, original=req.original).model_dump_json()
            best_full = min(best_full, (time.thread_time_ns() - began) / 1e6)
        rows.append(
            {
                "case": name,
                "request_bytes": len(raw),
                "analysis_cpu_ms": round(best_analysis, 2),
                "with_validation_and_json_cpu_ms": round(best_full, 2),
            }
        )
    rows.sort(key=lambda r: -float(r["analysis_cpu_ms"]))
    return {
        "cases": len(rows),
        "max_analysis_cpu_ms": rows[0]["analysis_cpu_ms"],
        "max_case": rows[0]["case"],
        "worst": rows[:8],
    }


def quickstart(run: Run, base: str) -> dict[str, Any]:
    """The README quick start: POST /v1/rewrites, no model (the editor answers), distinct drafts."""
    url = f"{base}/v1/rewrites"
    body = draft_series()["unrelated"]
    status, first = http_post(url, body.read_bytes().split(b"\n", 1)[0])
    answer = json.loads(first) if status == 200 else {}
    run.wrk(url, body, 1, run.plan.warmup_s)
    out: dict[str, Any] = {
        "points": [],
        "first_answer": {"status": status, "source": answer.get("source")},
    }
    for c in run.plan.quickstart_concurrencies:
        result = run.wrk(url, body, c, run.plan.duration_s)
        result["concurrency"] = c
        run.log(
            f"quick start c={c}: {result['rps']} rps p50 {result['p50_ms']} p99"
            f" {result['p99_ms']} ms, CPU/req {result['server_cpu_ms_per_req']} ms,"
            f" errors {result['errors']}"
        )
        out["points"].append(result)
    return out

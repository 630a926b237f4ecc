"""Targets read from the results, the Markdown table and the PNG plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def _ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("PASS" if flag else "MISS")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value; never asserted, only reported.

    Rows of issue #14 come first (`group` "14"), distinct drafts at the top; the
    older targets (memo hits, cache hits, rate limit...) follow (`group` "other").
    """
    rows: list[dict[str, Any]] = []

    def add(name: str, value: Any, goal: str, ok: bool | None, group: str = "14") -> None:
        rows.append(
            {"target": name, "measured": value, "goal": goal, "status": _ok(ok), "group": group}
        )

    def num(value: Any) -> float:
        return float(value) if isinstance(value, int | float) else math.nan

    series = results.get("analyze", {}).get("series", {})
    for name in ("typing", "unrelated"):
        for p in series.get(name, []):
            c, r = p["concurrency"], p["throughput_ratio"]
            add(
                f"/v1/analyze throughput vs bare handler, {p['drafts']}, c={c}",
                r,
                ">= 0.5",
                num(r) >= 0.5,
            )
    for name in ("typing", "unrelated"):
        for p in series.get(name, []):
            if p["concurrency"] == 1:
                v = p["ours"]["p99_ms"]
                add(f"/v1/analyze p99 (ms), {p['drafts']}, c=1", v, "<= 5", num(v) <= 5)
    inproc = results.get("analysis_in_process", {})
    if inproc and "error" not in inproc:
        # Judged cold (text and context caches emptied before every call): the warm
        # number repeats one email, which caches keyed on the text or context flatter.
        v = inproc.get("analyze_cold_p50_ms", inproc["analyze_p50_ms"])
        add(
            "analyze() in process p50 (ms), 150-word email + context, cold caches",
            v,
            "<= 0.2",
            v <= 0.2,
        )
        add(
            "analyze() in process p50 (ms), the same email repeated (warm caches)",
            inproc["analyze_p50_ms"],
            "reported",
            None,
        )
        add(
            "analyze() in process p50 (ms), typing snapshots",
            inproc.get("typing_p50_ms"),
            "reported",
            None,
        )
    worst = results.get("worst_case", {})
    if worst and "error" not in worst:
        v = worst["max_analysis_cpu_ms"]
        add(
            f"worst-case analysis CPU (ms), {worst['cases']} adversarial requests <= 64 KB,"
            f" {worst.get('families', '?')} families; worst: {worst.get('max_case', '?')}",
            v,
            "<= 50",
            v <= 50,
        )
        if "max_suggest_cpu_ms" in worst:
            add(
                f"worst-case one-click fixes (editor `suggest`, /v1/analyze) CPU (ms);"
                f" worst: {worst['max_suggest_case']}",
                worst["max_suggest_cpu_ms"],
                "<= 50",
                worst["max_suggest_cpu_ms"] <= 50,
            )
        if "max_editor_cpu_ms" in worst:
            v = worst["max_editor_cpu_ms"]
            failures = len(worst.get("editor_failures", []))
            add(
                f"worst-case rewrite without a model (editor, quick start) CPU (ms), same"
                f" requests, process CPU; worst: {worst['max_editor_case']}"
                + (f"; {failures} raised" if failures else ""),
                v,
                "<= 500",
                v <= 500 and not failures,
            )
    sweep = results.get("regex_sweep", {})
    if sweep and "error" not in sweep:
        v = sweep["max_ms"]
        add(
            f"slowest module pattern search over 20 KB runs (ms), {sweep['patterns']}"
            f" patterns of service/ x {sweep['texts']} runs; slowest: {sweep['max_pattern']}"
            + (
                f"; {len(sweep['over_limit'])} over 50, each timed at the first size it"
                " passed 50 (2,000 or 5,000 characters): at 20 KB it is slower"
                if sweep["over_limit"]
                else ""
            ),
            v,
            "<= 50",
            v <= 50,
        )
    for p in results.get("quickstart", {}).get("points", []):
        c = p["concurrency"]
        add(f"quick start rewrite (no model) p50 (ms), c={c}", p["p50_ms"], "<= 100", None)
        add(f"quick start rewrite (no model) p99 (ms), c={c}", p["p99_ms"], "<= 500", None)
        rows[-2]["status"] = _ok(p["p50_ms"] <= 100 and p["errors"] == 0)
        rows[-1]["status"] = _ok(p["p99_ms"] <= 500 and p["errors"] == 0)
    for p in results.get("rewrite", {}).get("points", []):
        if p["delay_ms"] == 0 and p["concurrency"] == 1:
            add(
                "rewrite p50 vs bare client, distinct drafts, 0 ms stub, c=1",
                p["p50_ratio"],
                "<= 1.5",
                num(p["p50_ratio"]) <= 1.5,
            )
            extra = p.get("cpu_beyond_client_ms")
            add(
                "rewrite CPU beyond the bare client's (ms/req), distinct drafts, 0 ms stub, c=1",
                extra,
                "<= 1.5",
                num(extra) <= 1.5,
            )
    for b in results.get("burst", []):
        if "label" not in b or "error" in b:
            continue
        tag = b["label"]
        add(
            f"1,000 in flight, 2 s upstream [{tag}]: wall (s)",
            b["wall_s"],
            "<= 3",
            b["wall_s"] <= 3,
        )
        add(f"1,000 in flight [{tag}]: errors", b["errors"], "0", b["errors"] == 0)
        add(
            f"1,000 in flight [{tag}]: RSS growth (MB)",
            b["rss_growth_mb"],
            "< 200",
            b["rss_growth_mb"] < 200,
        )
    scaling = results.get("scaling", {})
    for p in scaling.get("points", []) if "error" not in scaling else []:
        if p["workers"] > 1:
            add(
                f"{p['workers']} workers on {scaling['cpus']} cores: typing-draft rps vs 1 worker,"
                f" c={scaling['concurrency']}",
                p["analyze_speedup"],
                "reported",
                None,
            )
    for p in series.get("repeat", []):
        c, r = p["concurrency"], p["throughput_ratio"]
        add(f"memo: analyze vs bare, repeat draft, c={c}", r, ">= 0.60", num(r) >= 0.6, "other")
    for p in results.get("rewrite", {}).get("points", []):
        repeat = p.get("repeat") or {}
        if p["delay_ms"] == 0 and p["concurrency"] == 1 and repeat:
            add(
                "rewrite p50 vs bare client, repeat draft, 0 ms stub, c=1",
                repeat["p50_ratio"],
                "<= 1.5",
                num(repeat["p50_ratio"]) <= 1.5,
                "other",
            )
            add(
                "rewrite CPU beyond the bare client's (ms/req), repeat draft, 0 ms stub, c=1",
                repeat["cpu_beyond_client_ms"],
                "<= 1.5",
                num(repeat["cpu_beyond_client_ms"]) <= 1.5,
                "other",
            )
    for p in results.get("rewrite", {}).get("points", []):
        if p["delay_ms"] == 0 and p["concurrency"] == 1:
            continue
        tag = f"distinct drafts, {p['delay_ms']} ms stub, c={p['concurrency']}"
        add(
            f"rewrite p50 vs bare client, {tag}",
            p["p50_ratio"],
            "<= 1.5",
            num(p["p50_ratio"]) <= 1.5,
            "other",
        )
    for p in results.get("rewrite", {}).get("points", []):
        if p["delay_ms"] == 0:
            tag = f"distinct drafts, 0 ms stub, c={p['concurrency']}"
            add(
                f"rewrite throughput vs bare client, {tag}",
                p["throughput_ratio"],
                ">= 0.70",
                num(p["throughput_ratio"]) >= 0.7,
                "other",
            )
    for p in results.get("cached", {}).get("points", []):
        c = p["concurrency"]
        if c == 1:
            v = p["ours"]["p50_ms"]
            add("cache-hit p50 (ms), c=1", v, "<= 1", v <= 1, "other")
        add(
            f"cache-hit throughput vs bare, c={c}",
            p["throughput_ratio"],
            ">= 0.30",
            p["throughput_ratio"] >= 0.3,
            "other",
        )
    rl = results.get("redis_round_trips", {})
    if rl.get("analyze"):
        v = rl["analyze"]["script_calls_per_request"]
        # One atomic script per check, or fewer: large limits lease tokens (see
        # service/security/_ratelimit.py), so most /v1/analyze requests need no round trip.
        add(
            "rate-limit check: atomic scripts per /v1/analyze",
            v,
            "<= 1 round trip",
            0 < v <= 1.05 if rl.get("limiter_wired") else None,
            "other",
        )
    return rows


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    line = "| " + " | ".join(headers) + " |"
    sep = "|" + "|".join("---" for _ in headers) + "|"
    # A "|" in a cell (a case built of "|" runs) would end it: GFM reads "\|" as one.
    body = ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join([line, sep, *body])


def _editor_section(worst: dict[str, Any]) -> list[str]:
    failures = worst.get("editor_failures", [])
    return [
        "The same requests rewritten as the README quick start does it (`POST /v1/rewrites`"
        " with no model: the draft-preserving editor answers; `draft` and `context` only),"
        " process CPU (analysis runs in threads), caches cold (the analyzer's, the"
        " editor's items, `re`'s compiled patterns), best of 4 for the slowest 12; the"
        " slowest 8, then the worst of each other family:",
        "",
        _table(
            ["family", "case", "request bytes", "rewrite without a model ms"],
            [
                [r["family"], r["case"], r["request_bytes"], r["editor_cpu_ms"]]
                for r in worst["editor_worst"]
            ],
        ),
        "",
        *(
            [f"Rewrites that raised ({len(failures)}): " + "; ".join(failures[:5]), ""]
            if failures
            else []
        ),
    ]


def _sweep_section(sweep: dict[str, Any]) -> list[str]:
    over = ", ".join(
        f"`{r['pattern']}` ({r['ms']} ms at {r['chars']} chars)" for r in sweep["over_limit"]
    )
    return [
        f"### Patterns: {sweep['patterns']} compiled patterns of `service/` (module-level,"
        f" and {sweep.get('inline', 0)} literal patterns of inline `re.` calls) over"
        f" {sweep['texts']} runs of {sweep['text_chars']:,} characters (bench/_sweep.py),"
        " thread CPU of one call to its last match (each run at 2,000 characters, the"
        " slowest 12 per pattern at 5,000 and 20,000, stopping at one over 50 ms); the"
        " slowest",
        "",
        _table(
            ["pattern", "ms", "chars", "slowest run", "timed as"],
            [
                [f"`{r['pattern']}`", r["ms"], r["chars"], f"`{r['text']}`", r["how"]]
                for r in sweep["slowest"]
            ],
        ),
        "",
        f"Over {sweep['limit_ms']:g} ms: {over or 'none'}. Not searched over a text by the"
        " code, so timed as it runs (the allow-list, `bench/_sweep.py` ALLOWED): "
        + "; ".join(f"`{a['pattern']}` ({a['call']})" for a in sweep["allowed"])
        + "."
        + (
            f" Stale allow-list entries: {sweep['stale_allowed']}."
            if sweep["stale_allowed"]
            else ""
        ),
        "",
    ]


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    mine = [t for t in results["targets"] if t.get("group", "14") == "14"]
    other = [t for t in results["targets"] if t.get("group") == "other"]
    passed = sum(1 for t in mine if t["status"] == "PASS")
    judged = sum(1 for t in mine if t["status"] != "n/a")
    out = [
        f"# Tactful benchmark ({meta['mode']}), {meta['started']}",
        "",
        f"## Targets of issue #14: {passed} of {judged} met",
        "",
        "Distinct drafts first (typing sessions and unrelated drafts; rewrites of a "
        "different dataset draft each time: no request repeats a body, see "
        "[../README.md](../README.md)); ratios are ours / baseline measured "
        "side by side in this run.",
        "",
        _table(
            ["target", "measured", "goal", ""],
            [[t["target"], t["measured"], t["goal"], t["status"]] for t in mine],
        ),
        "",
        f"Machine: {meta['cpus']} CPUs, Python {meta['python']}, uvicorn {meta['uvicorn']} "
        f"({meta['server']}), load: {meta['load_generator']}. Cache backend: "
        f"**{results.get('cache_backend', '?')}**. Wall time of the run: "
        f"{meta.get('wall_s', '?')} s. "
        f"Machine busy before the run: {meta.get('machine_busy_before', '?')}, load "
        f"{meta.get('loadavg_before', '?')} -> {meta.get('loadavg_after', '?')}. "
        "What the numbers mean and what they found: [../README.md](../README.md).",
        "",
    ]
    if other:
        out += [
            "## Other targets (memo hits, other rewrite points, cache hits, rate limit)",
            "",
            _table(
                ["target", "measured", "goal", ""],
                [[t["target"], t["measured"], t["goal"], t["status"]] for t in other],
            ),
            "",
        ]
    failed = [
        f"{k}: {v['error']}" for k, v in results.items() if isinstance(v, dict) and "error" in v
    ]
    if failed:
        out += ["## Scenarios that failed", "", *[f"- {f}" for f in failed], ""]
    if results.get("analyze") and "error" not in results["analyze"]:
        series = results["analyze"].get("series", {})
        out += [
            "## 1. /v1/analyze vs a bare Litestar handler (same server, same bodies)",
            "",
            "*Typing*: successive snapshots of dataset drafts being typed (a pause every 2-10 "
            "words, some mid-word, a typo fixed at the next pause), one (draft, context) per "
            "session. *Unrelated*: whole dataset drafts, each on its own context. *Repeat*: "
            "the 150-word benchmark email every time, answered by the per-process memo "
            "(reported apart: typing never sends the same text twice). `memo hits` is the "
            "share of our requests the memo answered.",
            "",
            _table(
                [
                    "drafts",
                    "c",
                    "ours rps",
                    "bare rps",
                    "ratio",
                    "memo hits",
                    "ours p50/p99 ms",
                    "bare p50/p99 ms",
                    "server CPU ms/req ours / bare",
                ],
                [
                    [
                        p.get("drafts", "?"),
                        p["concurrency"],
                        p["ours"]["rps"],
                        p["bare"]["rps"],
                        p["throughput_ratio"],
                        p["ours"].get("memo_hit_share", "?"),
                        f"{p['ours']['p50_ms']} / {p['ours']['p99_ms']}",
                        f"{p['bare']['p50_ms']} / {p['bare']['p99_ms']}",
                        f"{p['ours']['server_cpu_ms_per_req']} / "
                        f"{p['bare']['server_cpu_ms_per_req']}",
                    ]
                    for name in ("typing", "unrelated", "repeat")
                    for p in series.get(name, [])
                ],
            ),
            "",
        ]
    if results.get("analysis_in_process") and "error" not in results["analysis_in_process"]:
        a = results["analysis_in_process"]
        out += [
            f"In-process `analyze()` on the 150-word email with its full context: cold"
            f" (text and context caches emptied before each call) p50"
            f" {a.get('analyze_cold_p50_ms')} ms, p99 {a.get('analyze_cold_p99_ms')} ms;"
            f" the same email repeated (warm) p50 {a['analyze_p50_ms']} ms, p99 "
            f"{a['analyze_p99_ms']} ms over {a['calls']} calls; with request validation"
            f" and JSON output (warm): p50 "
            f"{a['with_validation_and_json_p50_ms']} ms. Typing snapshots, one after another: "
            f"p50 {a.get('typing_p50_ms')} ms, p99 {a.get('typing_p99_ms')} ms.",
            "",
        ]
    worst = results.get("worst_case")
    if worst and "error" not in worst:
        out += [
            f"### Worst case: {worst['cases']} adversarial requests in"
            f" {worst.get('families', '?')} families (bench/_adversarial.py; 20 KB bodies,"
            " large contexts, each within the 64 KB body limit), thread CPU, caches cold,"
            " start-up heap frozen as in the server, best of 4 for the slowest; the slowest 8,"
            " then the worst of each other family",
            "",
            _table(
                [
                    "family",
                    "case",
                    "request bytes",
                    "analysis ms",
                    "as the guard (draft as original) ms",
                    "editor suggest ms",
                ],
                [
                    [
                        r.get("family", ""),
                        r["case"],
                        r["request_bytes"],
                        r["analysis_cpu_ms"],
                        r.get("as_guard_cpu_ms", ""),
                        r.get("suggest_cpu_ms", ""),
                    ]
                    for r in worst["worst"]
                ],
            ),
            "",
        ]
        if worst.get("editor_worst"):
            out += _editor_section(worst)
    sweep = results.get("regex_sweep")
    if sweep and "error" not in sweep:
        out += _sweep_section(sweep)
    quick = results.get("quickstart")
    if quick and "error" not in quick:
        out += [
            "### README quick start: `POST /v1/rewrites`, no model (the editor answers), "
            "unrelated drafts, over HTTP",
            "",
            _table(
                ["c", "rps", "p50 ms", "p99 ms", "server CPU ms/req", "errors", "composer"],
                [
                    [
                        p["concurrency"],
                        p["rps"],
                        p["p50_ms"],
                        p["p99_ms"],
                        p["server_cpu_ms_per_req"],
                        p["errors"],
                        p["composer"],
                    ]
                    for p in quick["points"]
                ],
            ),
            "",
        ]
    if results.get("rewrite") and "error" not in results["rewrite"]:
        rows: list[list[Any]] = []
        for p in results["rewrite"]["points"]:
            for drafts, ours, vs in (
                ("distinct", p["ours"], p),
                ("repeat", p.get("ours_repeat"), p.get("repeat")),
            ):
                if not ours or not vs:
                    continue
                rows.append(
                    [
                        f"{p['delay_ms']} ms",
                        p["concurrency"],
                        drafts,
                        ours["rps"],
                        p["passthrough"]["rps"],
                        p["client"]["rps"],
                        vs["throughput_ratio"],
                        f"{ours['p50_ms']} / {ours['p99_ms']}",
                        f"{p['client']['p50_ms']} / {p['client']['p99_ms']}",
                        f"{vs['added_p50_ms']} / {vs['added_p99_ms']}",
                        f"{ours['server_cpu_ms_per_req']} / "
                        f"{p['passthrough']['server_cpu_ms_per_req']} / "
                        f"{p['client']['cpu_ms_per_call']}",
                        ours.get("composer"),
                    ]
                )
        distinct = results["rewrite"].get("distinct") or {}
        out += [
            "## 2. /v1/rewrites vs the bare openai client (same stub upstream, cache off)",
            "",
            _table(
                [
                    "stub",
                    "c",
                    "drafts",
                    "ours rps",
                    "passthrough rps",
                    "client rps",
                    "rps ratio",
                    "ours p50/p99",
                    "client p50/p99",
                    "added p50/p99 ms",
                    "CPU ms/req ours / passthrough / client",
                    "composer",
                ],
                rows,
            ),
            "",
            "*distinct*: every request a different dataset draft on its own context "
            f"({distinct.get('kept', '?')} requests, bench/_rewrites.py), each answered by the "
            "stub with a message that passes the guard for it (`composer` counts the answers "
            "that did not come from the model); *repeat*: the benchmark draft every time "
            "(per-text caches help it). *passthrough*: a bare Litestar route in the same "
            "server making the same upstream call with a bare client (isolates the "
            "pipeline's own cost).",
            "",
        ]
    if results.get("transports") and "error" not in results["transports"]:
        t = results["transports"]
        out += [
            f"### SDK transports, bare client, {t['delay_ms']} ms stub",
            "",
            _table(
                ["transport", "c", "rps", "p50 ms", "p99 ms", "CPU ms/call", "errors"],
                [
                    [
                        p["transport"],
                        p["concurrency"],
                        p["rps"],
                        p["p50_ms"],
                        p["p99_ms"],
                        p["cpu_ms_per_call"],
                        p["errors"],
                    ]
                    for p in t["points"]
                ],
            ),
            "",
        ]
        if t.get("app"):
            out += [
                "End to end through the app (same wrk load):",
                "",
                _table(
                    ["app transport", "c", "rps", "p50 ms", "p99 ms", "errors"],
                    [
                        [
                            p["label"],
                            p["concurrency"],
                            p["rps"],
                            p["p50_ms"],
                            p["p99_ms"],
                            p["errors"],
                        ]
                        for p in t["app"]
                    ],
                ),
                "",
            ]
        if t.get("recommendation"):
            out += [f"**Transport for production:** {t['recommendation']}", ""]
    if results.get("cached") and "error" not in results["cached"]:
        out += [
            "## 3. Cached rewrites (cache hits) vs the bare handler",
            "",
            _table(
                ["c", "ours rps", "bare rps", "ratio", "hit share", "ours p50/p99 ms"],
                [
                    [
                        p["concurrency"],
                        p["ours"]["rps"],
                        p["bare"]["rps"],
                        p["throughput_ratio"],
                        p["hit_share"],
                        f"{p['ours']['p50_ms']} / {p['ours']['p99_ms']}",
                    ]
                    for p in results["cached"]["points"]
                ],
            ),
            "",
        ]
    if results.get("burst"):
        out += [
            "## 4. 1,000 rewrites in flight, 2 s upstream",
            "",
            "Each request a different dataset draft on its own context (the distinct rewrite"
            " series of section 2; a series shorter than the burst comes round again), the"
            " stub answering each with a message the guard accepts.",
            "",
            _table(
                [
                    "who",
                    "wall s",
                    "not a model answer",
                    "answers",
                    "p50 / p99 ms",
                    "upstream max in flight",
                    "RSS before / peak MB",
                ],
                [
                    [
                        b.get("label", b.get("tool")),
                        b["wall_s"],
                        b["errors"],
                        b.get("sources") or b.get("error_kinds") or "-",
                        f"{b['p50_ms']} / {b['p99_ms']}",
                        b.get("upstream_max_in_flight", "-"),
                        f"{b.get('rss_before_mb', '-')} / {b.get('rss_peak_mb', '-')}",
                    ]
                    for b in results["burst"]
                    if "error" not in b
                ],
            ),
            "",
        ]
        out += [f"- failed: {b['error']}" for b in results["burst"] if "error" in b]
    emb = results.get("embedded")
    if emb:
        if "error" in emb:
            out += ["## 5. Embedded model", "", f"Not measured: {emb['error']}", ""]
        else:
            tok = emb.get("tokens", {})
            finished = sum(1 for r in emb["requests"] if r.get("status") == 200)
            cut = len(emb["requests"]) - finished
            out += [
                "## 5. Embedded model (SmolLM2-135M, llama.cpp, 2 threads)",
                "",
                f"Other llama.cpp servers running meanwhile: "
                f"{emb.get('other_llama_servers', '?')}. "
                f"Server start-up {emb.get('startup_s')} s. Decode "
                f"{tok.get('decode_tokens_per_s_median')} tokens/s, prompt "
                f"{tok.get('prompt_tokens_per_s_median')} tokens/s, time to first token "
                f"{tok.get('ttft_s_median')} s ({len(tok.get('samples', []))} sample(s), "
                f"max_tokens {emb['max_tokens']}). End-to-end rewrites within a "
                f"{emb['budget_s']} s budget: {finished} finished"
                f"{f', {cut} cut off at the budget' if cut else ''}; p50 "
                f"{emb['latency_p50_s']} s (max {emb['latency_max_s']} s); raw model output "
                f"passed the guard: {emb['raw_pass_rate']}, after the repair round: "
                f"{emb['repaired_pass_rate']}, composer fallback: {emb['composer_rate']}.",
                "",
            ]
            reasons = {r["degraded_reason"] for r in emb["requests"] if r.get("degraded_reason")}
            out += [f"- fallback reason: {r}" for r in sorted(reasons)] + ([""] if reasons else [])
    if results.get("scaling") and "error" not in results["scaling"]:
        s = results["scaling"]
        out += [
            f"## 6. Workers (typing drafts, c={s['concurrency']}, {s['cpus']} CPUs)",
            "",
            _table(
                [
                    "workers",
                    "analyze rps (typing)",
                    "speed-up",
                    "analyze p99 ms",
                    "server CPU ms/req",
                    "cached rewrite rps",
                ],
                [
                    [
                        p["workers"],
                        p["analyze"]["rps"],
                        p["analyze_speedup"],
                        p["analyze"]["p99_ms"],
                        p["analyze"]["server_cpu_ms_per_req"],
                        p.get("cached_rewrite", {}).get("rps", "-"),
                    ]
                    for p in s["points"]
                ],
            ),
            "",
        ]
    if results.get("redis_round_trips"):
        rt = results["redis_round_trips"]
        out += ["## Redis commands per request (MONITOR, db 14)", ""]
        for key in ("analyze", "rewrite_cached"):
            if rt.get(key):
                out.append(
                    f"- `{rt[key]['path']}`: {rt[key]['round_trips_per_request']} "
                    f"commands sent per request {rt[key]['commands_per_request']}; "
                    f"run inside scripts: {rt[key]['inside_scripts_per_request']}"
                )
        out.append("")
    if results.get("notes"):
        out += ["## Notes", "", *[f"- {n}" for n in results["notes"]], ""]
    return "\n".join(out)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, axes = plt.subplots(2, 3, figsize=(16, 9), layout="constrained")
    meta = results["meta"]
    fig.suptitle(
        f"Tactful vs its baselines, same run ({meta['mode']}, {meta['cpus']} CPUs, "
        f"machine {meta.get('machine_busy_before', 0):.0%} busy before) - latency vs "
        "concurrency, log scales; ratios in latest.md"
    )

    def ok(key: str) -> bool:
        value = results.get(key)
        return isinstance(value, dict) and bool(value) and "error" not in value

    def series(ax: Any, points: list[dict[str, Any]], key: str, label: str, color: str) -> None:
        xs = [p["concurrency"] for p in points]
        ax.plot(xs, [p[key]["p50_ms"] for p in points], "o-", color=color, label=f"{label} p50")
        ax.plot(
            xs,
            [p[key]["p99_ms"] for p in points],
            "s--",
            color=color,
            alpha=0.6,
            label=f"{label} p99",
        )

    def finish(ax: Any, title: str, xs: list[int]) -> None:
        ax.set_title(title, fontsize=10)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sorted(set(xs)))
        ax.set_xticklabels([str(x) for x in sorted(set(xs))])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(min(xs) / 1.6, max(xs) * 1.6)
        ax.set_xlabel("concurrent connections")
        ax.set_ylabel("latency (ms)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)

    def empty(ax: Any, title: str) -> None:
        ax.set_title(title, fontsize=10)
        ax.text(
            0.5,
            0.5,
            "not measured in this run",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="gray",
        )
        ax.set_xticks([])
        ax.set_yticks([])

    ax = axes[0][0]
    if ok("analyze"):
        by = results["analyze"]["series"]
        pts = by.get("typing") or by.get("repeat") or []
        series(ax, pts, "ours", "/v1/analyze, typing", "tab:orange")
        series(ax, pts, "bare", "bare handler", "tab:gray")
        if by.get("unrelated"):
            series(ax, by["unrelated"], "ours", "/v1/analyze, unrelated", "tab:red")
        if by.get("repeat"):
            series(ax, by["repeat"], "ours", "/v1/analyze, repeat (memo)", "tab:blue")
        xs = [p["concurrency"] for name in by for p in by[name]]
        finish(ax, "1. /v1/analyze vs bare Litestar handler", xs)
    else:
        empty(ax, "1. /v1/analyze")
    for ax, delay in ((axes[0][1], 0), (axes[0][2], 50)):
        pts = [p for p in results.get("rewrite", {}).get("points", []) if p["delay_ms"] == delay]
        if pts:
            series(ax, pts, "ours", "/v1/rewrites, distinct drafts", "tab:blue")
            if all(p.get("ours_repeat") for p in pts):
                series(ax, pts, "ours_repeat", "/v1/rewrites, repeat draft", "tab:cyan")
            series(ax, pts, "client", "bare openai client", "tab:gray")
            series(ax, pts, "passthrough", "passthrough route", "tab:green")
            finish(
                ax,
                f"2. rewrite vs bare client, {delay} ms upstream (cache off)",
                [p["concurrency"] for p in pts],
            )
        else:
            empty(ax, f"2. rewrite, {delay} ms upstream")
    ax = axes[1][0]
    if ok("cached"):
        pts = results["cached"]["points"]
        series(ax, pts, "ours", "cache hit", "tab:purple")
        series(ax, pts, "bare", "bare handler", "tab:gray")
        finish(
            ax,
            f"3. cache hits ({results.get('cache_backend', '?')}) vs bare handler",
            [p["concurrency"] for p in pts],
        )
    else:
        empty(ax, "3. cache hits")
    ax = axes[1][1]
    if ok("transports"):
        pts = results["transports"]["points"]
        labels = [f"{p['transport']}\n{p['concurrency']}" for p in pts]
        colors = {"httpx": "tab:red", "httpx2": "tab:orange", "aiohttp": "tab:green"}
        ax.bar(
            labels,
            [p["rps"] for p in pts],
            color=[colors.get(p["transport"], "tab:gray") for p in pts],
        )
        for i, p in enumerate(pts):
            text = (
                f"p99 {p['p99_ms']:.0f} ms\n{p['cpu_ms_per_call']:.1f} ms CPU"
                if p["requests"]
                else "none\nfinished"
            )
            ax.annotate(
                text,
                (i, p["rps"]),
                ha="center",
                va="bottom",
                fontsize=6.5,
                xytext=(0, 2),
                textcoords="offset points",
            )
        ax.set_ylabel("requests/s (bare client)")
        ax.set_xlabel("transport / requests in flight")
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylim(0, max(p["rps"] for p in pts) * 1.35 + 1)
        ax.set_title(
            f"2b. bare client by SDK transport, {results['transports']['delay_ms']} ms upstream",
            fontsize=10,
        )
        ax.grid(True, axis="y", alpha=0.3)
    else:
        empty(ax, "2b. SDK transports")
    ax = axes[1][2]
    if ok("scaling"):
        pts = results["scaling"]["points"]
        xs = [p["workers"] for p in pts]
        ax.bar([str(x) for x in xs], [p["analyze"]["rps"] for p in pts], color="tab:blue")
        ax.set_xlabel("uvicorn workers")
        ax.set_ylabel("/v1/analyze rps")
        ax.set_title(
            f"6. workers on {results['scaling']['cpus']} CPUs, "
            f"c={results['scaling']['concurrency']}",
            fontsize=10,
        )
        ax.grid(True, axis="y", alpha=0.3)
    else:
        empty(ax, "6. scaling with workers")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def clean(value: Any) -> Any:
    """NaN/inf are not JSON: write them as null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value

"""Run the selected suites and build the report.

Offline (the default) the model path replays recordings and every
non-loopback connection is refused for the whole run; a refused attempt fails
the run even if the code under test swallowed the error. `live` and `record`
open the configured model exactly as the API does (`open_runtime`): the
embedded SmolLM2 server when `OPENAI_BASE_URL` is unset.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from service.datafile import read_toml
from service.errors import DataFileInvalid
from service.evals._analyzer_suite import run_analyzer_suite
from service.evals._cases import (
    C,
    GuardFixture,
    InjectionCase,
    RewriteCase,
    RobustnessCase,
    case_files,
    load_cases,
)
from service.evals._checks import load_asks
from service.evals._harness import Setup, read_manifest, write_manifest
from service.evals._judge import Judge, load_rubric
from service.evals._metrics import errors_metric, judge_metric, model_quality, path_metrics
from service.evals._offline import no_network
from service.evals._pipeline_suites import (
    run_injection_cases,
    run_rewrite_cases,
    run_robustness_cases,
)
from service.evals._preserve_suite import run_preserve_suite
from service.evals._recording import Mode, RecordingStore, utc_now
from service.evals._report import Report
from service.evals._results import CaseResult, SuiteResult
from service.evals._thresholds import Thresholds, load_thresholds
from service.llm import ModelParams
from service.prompting import load_prompts
from service.runtime import open_runtime
from service.settings import get_settings

SUITES = ("analyzer", "preserve", "rewrites", "injection", "robustness")
DEFAULT_EVALS_DIR = Path(__file__).resolve().parents[2] / "evals"
NOT_RECORDED = "not-recorded"
# Metric keys a suite may gate although this run did not produce them.
_OPTIONAL_KEYS = frozenset({"judge.pass"})


@dataclass(slots=True)
class RunOptions:
    suites: tuple[str, ...] = SUITES
    evals_dir: Path = DEFAULT_EVALS_DIR
    mode: Mode = "replay"
    judge: bool = False
    prompts_dir: Path | None = None
    thresholds: Path | None = None
    recordings_dir: Path | None = None
    require_measured: bool = False
    command: str = "tactful evals run --record"
    case_filter: tuple[str, ...] = ()  # fnmatch patterns on case ids; empty = all
    notes: list[str] = field(default_factory=list)


def load_params(path: Path) -> ModelParams:
    """evals/params.toml: generation parameters of every eval model call (part of the keys)."""
    raw = read_toml(path)
    unknown = set(raw) - {"max_tokens", "temperature", "seed"}
    if unknown:
        raise DataFileInvalid(path.name, "", f"unknown keys {sorted(unknown)}")
    return ModelParams(
        max_tokens=int(raw["max_tokens"]),
        temperature=float(raw["temperature"]),
        seed=int(raw["seed"]),
    )


def _select(cases: list[C], patterns: tuple[str, ...]) -> list[C]:
    if not patterns:
        return cases
    return [c for c in cases if any(fnmatch(str(getattr(c, "id", "")), p) for p in patterns)]


def _finish_pipeline_suite(name: str, cases: list[CaseResult], seconds: float) -> SuiteResult:
    suite = SuiteResult(name, cases=cases, seconds=seconds)
    suite.metrics = [errors_metric(cases), *model_quality(cases)]
    shared = {name for c in cases if c.path in ("model", "fallback") for name in c.checks}
    suite.metrics += path_metrics(cases, "model", shared)
    suite.metrics += path_metrics(cases, "fallback", shared)
    suite.metrics += path_metrics(cases, "fixture")
    suite.metrics += judge_metric(cases)
    return suite


async def _pipeline_suites(options: RunOptions, setup: Setup) -> list[SuiteResult]:
    root = options.evals_dir
    results: list[SuiteResult] = []
    pick = options.case_filter
    judge = Judge(setup, load_rubric(root / "judge" / "rubric.toml")) if options.judge else None
    for name in options.suites:
        started = time.perf_counter()
        if name == "rewrites":
            cases = _select(load_cases(case_files(root / "rewrites"), RewriteCase), pick)
            asks = load_asks(root / "rewrites" / "asks.toml")
            out = await run_rewrite_cases(setup, cases, asks, judge)
        elif name == "injection":
            cases_i = _select(load_cases(case_files(root / "injection"), InjectionCase), pick)
            fixtures = _select(
                load_cases(case_files(root / "fixtures" / "injection"), GuardFixture), pick
            )
            out = await run_injection_cases(setup, cases_i, fixtures)
        elif name == "robustness":
            cases_r = _select(load_cases(case_files(root / "robustness"), RobustnessCase), pick)
            out = await run_robustness_cases(setup, cases_r)
        else:
            continue
        results.append(_finish_pipeline_suite(name, out, time.perf_counter() - started))
    return results


async def _run_model_suites(options: RunOptions, report: Report) -> list[SuiteResult]:
    root = options.evals_dir
    prompts = load_prompts(options.prompts_dir)
    store = RecordingStore(options.recordings_dir or root / "recordings")
    params = load_params(root / "params.toml")
    report.prompt_version = prompts.version
    async with AsyncExitStack() as stack:
        if options.mode == "replay":
            manifest = read_manifest(store.root)
            report.recorded = manifest
            name = str(manifest["model"]) if manifest else NOT_RECORDED
            setup = Setup("replay", prompts, params, store, name, command=options.command)
        else:
            runtime = await stack.enter_async_context(open_runtime(get_settings()))
            if runtime.model is None:
                raise RuntimeError("no model is configured or embedded: cannot run --live")
            setup = Setup(
                options.mode,
                prompts,
                params,
                store,
                runtime.model.name,
                inner=runtime.model,
                command=options.command,
            )
            if options.mode == "record":
                write_manifest(
                    setup,
                    "embedded" if runtime.settings.uses_embedded_model else "configured endpoint",
                )
        report.model = setup.model_name
        return await _pipeline_suites(options, setup)


def _apply(thresholds: Thresholds, suites: list[SuiteResult], *, filtered: bool) -> None:
    """Attach the bounds; a key no metric uses is an error, except in a `--case` run."""
    unknown = sorted(set(thresholds.bounds) - set(SUITES))
    if unknown:
        raise DataFileInvalid(thresholds.path.name, "", f"unknown suite table(s) {unknown}")
    for suite in suites:
        known = frozenset(thresholds.bounds.get(suite.name, {})) if filtered else _OPTIONAL_KEYS
        thresholds.apply(suite.name, suite.metrics, known=known)


def run(options: RunOptions) -> Report:
    """Run the suites; the report knows whether the run passed (see `Report.exit_code`)."""
    started = time.perf_counter()
    thresholds = load_thresholds(options.thresholds or options.evals_dir / "thresholds.toml")
    report = Report(
        started_at=utc_now(),
        mode=options.mode,
        model=NOT_RECORDED,
        recorded=None,
        prompt_version="",
        thresholds_file=thresholds.path.name,
        thresholds_version=thresholds.version,
        require_measured=options.require_measured,
    )
    with ExitStack() as stack:
        guard = stack.enter_context(no_network()) if options.mode == "replay" else None
        if "analyzer" in options.suites:
            report.suites.append(run_analyzer_suite(options.evals_dir / "analyzer"))
        if "preserve" in options.suites:
            report.suites.append(run_preserve_suite(options.evals_dir / "preserve"))
        if set(options.suites) - {"analyzer", "preserve"}:
            report.suites += asyncio.run(_run_model_suites(options, report))
        if guard is not None:
            report.stray_network_calls = list(guard.attempts)
    report.suites.sort(key=lambda s: SUITES.index(s.name))
    _apply(thresholds, report.suites, filtered=bool(options.case_filter))
    report.wall_time_s = time.perf_counter() - started
    return report

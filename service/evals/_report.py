"""The run report: JSON (machine, baseline input), JUnit XML (CI UIs), a text table (people)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.evals._results import REFRESH_COMMAND, Metric, SuiteResult

REPORT_SCHEMA = 1
MAX_LISTED_FAILURES = 40


@dataclass(slots=True)
class Report:
    started_at: str
    mode: str
    model: str
    recorded: dict[str, Any] | None
    prompt_version: str
    thresholds_file: str
    thresholds_version: int
    suites: list[SuiteResult] = field(default_factory=list)
    wall_time_s: float = 0.0
    stray_network_calls: list[str] = field(default_factory=list)
    require_measured: bool = False

    @property
    def failed_metrics(self) -> list[tuple[str, Metric]]:
        return [(s.name, m) for s in self.suites for m in s.failed_metrics]

    @property
    def unmeasured(self) -> int:
        return sum(len(s.unmeasured_cases) for s in self.suites)

    @property
    def passed(self) -> bool:
        if self.failed_metrics or self.stray_network_calls:
            return False
        return not (self.require_measured and self.unmeasured)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "tool": "tactful evals",
            "started_at": self.started_at,
            "wall_time_s": round(self.wall_time_s, 6),
            "mode": self.mode,
            "model": self.model,
            "recordings": self.recorded,
            "prompt_version": self.prompt_version,
            "thresholds": {"file": self.thresholds_file, "version": self.thresholds_version},
            "passed": self.passed,
            "exit_code": self.exit_code,
            "summary": {
                "failed_metrics": [f"{s}.{m.name}" for s, m in self.failed_metrics],
                "unmeasured_cases": self.unmeasured,
                "errored_cases": sum(len(s.errored_cases) for s in self.suites),
                "stray_network_calls": self.stray_network_calls,
                "refresh_command": REFRESH_COMMAND if self.unmeasured else None,
            },
            "suites": {s.name: s.to_json() for s in self.suites},
        }


# ------------------------------------------------------------------- writers


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def junit_xml(report: Report) -> str:
    """One <testsuite> per suite; one <testcase> per case and path, and per gated metric."""
    root = ET.Element("testsuites", name="tactful-evals", time=f"{report.wall_time_s:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in report.suites:
        node = ET.SubElement(root, "testsuite", name=suite.name, time=f"{suite.seconds:.3f}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for case in suite.cases:
            counts["tests"] += 1
            tc = ET.SubElement(
                node,
                "testcase",
                classname=f"evals.{suite.name}",
                name=f"{case.case_id} [{case.path}]",
            )
            if case.status == "fail":
                counts["failures"] += 1
                text = "\n".join(f"{f.check}: {f.message} | {f.excerpt}" for f in case.failures)
                first = case.failures[0].message if case.failures else case.reason
                ET.SubElement(tc, "failure", message=first).text = text
            elif case.status == "error":
                counts["errors"] += 1
                ET.SubElement(tc, "error", message=case.reason)
            elif case.status == "unmeasured":
                counts["skipped"] += 1
                ET.SubElement(tc, "skipped", message=f"UNMEASURED: {case.reason}")
        for metric in suite.metrics:
            if not metric.gated:
                continue
            counts["tests"] += 1
            tc = ET.SubElement(
                node, "testcase", classname=f"evals.{suite.name}.thresholds", name=metric.name
            )
            value = "n/a" if metric.value is None else f"{metric.value:.4f}"
            message = f"{metric.name} = {value}, threshold {metric.threshold_text()}"
            if metric.status == "fail":
                counts["failures"] += 1
                ET.SubElement(tc, "failure", message=message)
            elif metric.status == "unmeasured":
                counts["skipped"] += 1
                ET.SubElement(tc, "skipped", message=f"UNMEASURED: {message}")
        for key, count in counts.items():
            node.set(key, str(count))
            totals[key] += count
    for key, total in totals.items():
        root.set(key, str(total))
    if report.stray_network_calls:
        node = ET.SubElement(
            root, "testsuite", name="offline", tests="1", failures="1", errors="0", skipped="0"
        )
        tc = ET.SubElement(node, "testcase", classname="evals.offline", name="no_network")
        ET.SubElement(tc, "failure", message="stray network calls").text = "\n".join(
            report.stray_network_calls
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def write_junit(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(report) + "\n", encoding="utf-8")


# --------------------------------------------------------------------- table


def _value(metric: Metric) -> str:
    return "n/a" if metric.value is None else f"{metric.value:.3f}"


def _pct(metric: Metric | None) -> str:
    if metric is None or metric.value is None:
        return "unmeasured"
    return f"{metric.value:.0%} ({metric.measured} measured)"


def quality_lines(suite: SuiteResult) -> list[str]:
    """The two numbers that must never be confused: raw model vs what users get."""
    by_name = {m.name: m for m in suite.metrics}
    if "fallback.pass" not in by_name:
        return []
    return [
        f"  {suite.name}: model quality -- first answer passed the guard: "
        f"{_pct(by_name.get('model.first_answer_passed_guard'))}",
        f"  {suite.name}: delivered quality -- model path: {_pct(by_name.get('model.pass'))}; "
        f"fallback (composer) path: {_pct(by_name.get('fallback.pass'))}",
    ]


def render_table(report: Report) -> str:
    recorded = report.recorded or {}
    lines = [
        f"tactful evals -- mode {report.mode}, model {report.model}"
        + (
            f" (recordings: {recorded.get('model')} at {recorded.get('recorded_at')}, "
            f"prompts {recorded.get('prompt_version')})"
            if recorded
            else ""
        ),
        f"prompt version {report.prompt_version}, thresholds {report.thresholds_file} "
        f"v{report.thresholds_version}, wall time {report.wall_time_s:.1f} s",
        "",
        f"{'SUITE':<11} {'METRIC':<44} {'VALUE':>7} {'N/TOTAL':>9}  {'THRESHOLD':<10} STATUS",
    ]
    for suite in report.suites:
        for m in suite.metrics:
            status = m.status.upper() if m.status in ("fail", "unmeasured") else m.status
            lines.append(
                f"{suite.name:<11} {m.name:<44} {_value(m):>7} "
                f"{f'{m.measured}/{m.total}':>9}  {m.threshold_text():<10} {status}"
            )
    quality = [line for s in report.suites for line in quality_lines(s)]
    if quality:
        lines += ["", "Model quality vs delivered quality:", *quality]
    failures = [(s, c, f) for s in report.suites for c in s.cases for f in c.failures]
    errors = [c for s in report.suites for c in s.errored_cases]
    if failures or errors:
        lines += [
            "",
            f"Failures ({len(failures)} checks, {len(errors)} errors; "
            f"first {MAX_LISTED_FAILURES}):",
        ]
        for case in errors[:MAX_LISTED_FAILURES]:
            lines.append(f"  ERROR {case.key}: {case.reason}")
        for _suite, case, failure in failures[:MAX_LISTED_FAILURES]:
            text = f"  {case.key} {failure.check}: {failure.message}"
            lines.append(text + (f"  <<{failure.excerpt}>>" if failure.excerpt else ""))
    if report.unmeasured:
        per_suite = ", ".join(
            f"{s.name} {len(s.unmeasured_cases)}" for s in report.suites if s.unmeasured_cases
        )
        reasons = sorted(
            {c.reason.split(";")[0] for s in report.suites for c in s.unmeasured_cases}
        )
        lines += [
            "",
            f"UNMEASURED: {report.unmeasured} case(s) ({per_suite}) -- "
            "not counted as pass or fail.",
            *(f"  reason: {r}" for r in reasons[:5]),
            f"  refresh the recordings with: {REFRESH_COMMAND}",
        ]
    for target in report.stray_network_calls:
        lines.append(f"STRAY NETWORK CALL (offline run): {target}")
    verdict = "PASS" if report.passed else "FAIL"
    missed = ", ".join(f"{s}.{m.name}" for s, m in report.failed_metrics)
    lines += ["", f"RESULT: {verdict}" + (f" -- thresholds missed: {missed}" if missed else "")]
    if report.require_measured and report.unmeasured:
        lines.append("(--require-measured: unmeasured cases fail the run)")
    return "\n".join(lines)


# ------------------------------------------------------------------ baseline


def _lower_is_better(name: str, metric: dict[str, Any]) -> bool:
    threshold = metric.get("threshold") or ""
    return threshold.startswith("<=") or name.endswith(("error_rate", "errors"))


def compare(current: dict[str, Any], baseline: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(regressions, improvements) of metric values and case outcomes vs an earlier report."""
    regressions: list[str] = []
    improvements: list[str] = []
    for suite, data in current.get("suites", {}).items():
        old = baseline.get("suites", {}).get(suite)
        if old is None:
            continue
        for name, metric in data.get("metrics", {}).items():
            before = old.get("metrics", {}).get(name)
            if before is None or metric["value"] is None or before["value"] is None:
                continue
            delta = metric["value"] - before["value"]
            if abs(delta) < 1e-9:
                continue
            worse = delta > 0 if _lower_is_better(name, metric) else delta < 0
            line = f"{suite}.{name}: {before['value']:.3f} -> {metric['value']:.3f}"
            (regressions if worse else improvements).append(line)
        old_cases = {(c["id"], c["path"]): c["status"] for c in old.get("cases", [])}
        for case in data.get("cases", []):
            was = old_cases.get((case["id"], case["path"]))
            now = case["status"]
            if was == "pass" and now in ("fail", "error"):
                regressions.append(f"{suite}/{case['id']}[{case['path']}]: pass -> {now}")
            elif was in ("fail", "error") and now == "pass":
                improvements.append(f"{suite}/{case['id']}[{case['path']}]: {was} -> pass")
    return regressions, improvements


def render_comparison(regressions: list[str], improvements: list[str], baseline: Path) -> str:
    lines = [
        f"Against baseline {baseline}: {len(regressions)} regression(s), "
        f"{len(improvements)} improvement(s)"
    ]
    lines += [f"  REGRESSION  {r}" for r in regressions]
    lines += [f"  improvement {i}" for i in improvements]
    return "\n".join(lines)

"""The analyzer suite: per-rule precision and recall over the labelled drafts.

A case counts for a rule only where the label says so: the rule is in
`expect.fire` (a positive) or `expect.quiet` (a negative). A `clean` case is a
negative for every rule it does not list in `fire`. A rule "fires" when any
finding of that rule is reported, whatever its severity. Separately, the
share of clean drafts with any `error` finding is the false-alarm rate users
would feel most.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from service.analysis import analyze
from service.evals._cases import AnalyzerCase, case_files, load_cases
from service.evals._checks import excerpt
from service.evals._results import CaseResult, Failure, Metric, SuiteResult, rate
from service.models import RULE_IDS, Analysis

SUITE = "analyzer"


@dataclass(slots=True)
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return rate(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return rate(self.tp, self.tp + self.fn)

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass(slots=True)
class AnalyzerScores:
    per_rule: dict[str, Confusion] = field(default_factory=dict)
    clean_total: int = 0
    clean_with_error: int = 0
    clean_scores: list[int] = field(default_factory=list)
    multi_error_scores: list[int] = field(default_factory=list)  # drafts with >= 2 errors

    def rule(self, rule: str) -> Confusion:
        return self.per_rule.setdefault(rule, Confusion())


def labelled(case: AnalyzerCase, rules: tuple[str, ...] = RULE_IDS) -> dict[str, bool]:
    """Rule -> should it fire? Only the rules this case says something about."""
    labels = dict.fromkeys(case.expect.quiet, False)
    if case.clean:
        labels.update(dict.fromkeys(rules, False))
    labels.update(dict.fromkeys(case.expect.fire, True))
    return labels


def score_case(case: AnalyzerCase, analysis: Analysis, scores: AnalyzerScores) -> CaseResult:
    """Add one case to the confusion counts; return its own pass/fail with excerpts."""
    fired = analysis.rules()
    body = case.message().body
    result = CaseResult(SUITE, case.id, "analyzer", "pass")
    for rule, should_fire in sorted(labelled(case).items()):
        counts = scores.rule(rule)
        did_fire = rule in fired
        result.checks[rule] = did_fire == should_fire
        if should_fire and did_fire:
            counts.tp += 1
        elif should_fire:
            counts.fn += 1
            result.failures.append(Failure(rule, "expected to fire, stayed quiet", excerpt(body)))
        elif did_fire:
            counts.fp += 1
            finding = next(f for f in analysis.findings if f.rule == rule)
            result.failures.append(
                Failure(
                    rule,
                    f"fired on a draft labelled quiet: {finding.message}",
                    excerpt(body, finding.start, finding.end),
                )
            )
        else:
            counts.tn += 1
    errors = [f for f in analysis.findings if f.severity == "error"]
    if len(errors) >= 2:
        scores.multi_error_scores.append(analysis.score)
    if case.clean:
        scores.clean_total += 1
        scores.clean_scores.append(analysis.score)
        if errors:
            scores.clean_with_error += 1
            first = errors[0]
            result.checks["clean_no_error"] = False
            result.failures.append(
                Failure(
                    "clean_no_error",
                    f"error finding {first.rule} on a clean draft",
                    excerpt(body, first.start, first.end),
                )
            )
        else:
            result.checks["clean_no_error"] = True
    if result.failures:
        result.status = "fail"
    return result


def metrics_from(scores: AnalyzerScores, total_cases: int) -> list[Metric]:
    metrics: list[Metric] = []
    for rule in sorted(scores.per_rule):
        c = scores.per_rule[rule]
        metrics.append(
            Metric(
                f"precision[{rule}]",
                c.precision,
                c.tp + c.fp,
                total_cases,
                threshold_key="rule_precision",
                group="per rule",
            )
        )
        metrics.append(
            Metric(
                f"recall[{rule}]",
                c.recall,
                c.tp + c.fn,
                total_cases,
                threshold_key="rule_recall",
                group="per rule",
            )
        )
    metrics.append(
        Metric(
            "clean_error_rate",
            rate(scores.clean_with_error, scores.clean_total),
            scores.clean_total,
            total_cases,
            group="false alarms",
        )
    )
    # The score's promise: every clean draft outscores every draft with two or
    # more error findings. The share of clean drafts that keep it.
    worst = max(scores.multi_error_scores, default=None)
    kept = sum(1 for s in scores.clean_scores if worst is None or s > worst)
    metrics.append(
        Metric(
            "score_calibration",
            rate(kept, len(scores.clean_scores)) if scores.multi_error_scores else None,
            len(scores.clean_scores),
            total_cases,
            group="score",
        )
    )
    return metrics


def run_analyzer_suite(directory: Path) -> SuiteResult:
    started = time.perf_counter()
    cases = load_cases(case_files(directory), AnalyzerCase)
    scores = AnalyzerScores()
    suite = SuiteResult(SUITE)
    for case in cases:
        try:
            analysis = analyze(
                case.message(), context=case.context, original=case.original_message()
            )
        except Exception as exc:
            suite.cases.append(
                CaseResult(
                    SUITE, case.id, "analyzer", "error", reason=f"{type(exc).__name__}: {exc}"
                )
            )
            continue
        suite.cases.append(score_case(case, analysis, scores))
    suite.metrics = metrics_from(scores, len(cases))
    if not cases:
        suite.notes.append(f"no analyzer cases found in {directory}")
    suite.seconds = time.perf_counter() - started
    return suite

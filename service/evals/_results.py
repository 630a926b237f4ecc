"""What a run produces: case outcomes, metrics with their thresholds, suite results.

A case or a metric is in exactly one of four states. `unmeasured` is a state
of its own on purpose: a case whose model recording is missing or stale was
not measured, and it must never be counted as a pass or as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "unmeasured", "error"]
MetricStatus = Literal["pass", "fail", "unmeasured", "info"]

REFRESH_COMMAND = "tactful evals run --record"


@dataclass(slots=True)
class Failure:
    """One failed check on one case, with the text that shows why."""

    check: str
    message: str
    excerpt: str = ""

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message, "excerpt": self.excerpt}


@dataclass(slots=True)
class CaseResult:
    """One case on one path ("analyzer", "model", "fallback", "fixture")."""

    suite: str
    case_id: str
    path: str
    status: Status
    checks: dict[str, bool] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    reason: str = ""  # why unmeasured / error
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.case_id}[{self.path}]"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case_id,
            "path": self.path,
            "status": self.status,
            "checks": dict(sorted(self.checks.items())),
            "failures": [f.to_json() for f in self.failures],
            "reason": self.reason,
            "details": self.details,
        }


@dataclass(slots=True)
class Metric:
    """A rate (or count) and, when gated, the threshold it is held to."""

    name: str
    value: float | None  # None: nothing was measured
    measured: int  # denominator (cases, or predictions for precision)
    total: int  # cases that could have been measured
    threshold_key: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    group: str = ""  # "model quality", "delivered quality", ...

    @property
    def gated(self) -> bool:
        return self.minimum is not None or self.maximum is not None

    @property
    def status(self) -> MetricStatus:
        if self.value is None:
            return "unmeasured" if self.gated else "info"
        if not self.gated:
            return "info"
        if self.minimum is not None and self.value < self.minimum - 1e-9:
            return "fail"
        if self.maximum is not None and self.value > self.maximum + 1e-9:
            return "fail"
        return "pass"

    def threshold_text(self) -> str:
        if self.minimum is not None:
            return f">= {self.minimum:g}"
        if self.maximum is not None:
            return f"<= {self.maximum:g}"
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "value": None if self.value is None else round(self.value, 4),
            "measured": self.measured,
            "total": self.total,
            "status": self.status,
            "threshold": self.threshold_text() or None,
            "threshold_key": self.threshold_key,
            "group": self.group,
        }


@dataclass(slots=True)
class SuiteResult:
    name: str
    metrics: list[Metric] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def failed_metrics(self) -> list[Metric]:
        return [m for m in self.metrics if m.status == "fail"]

    @property
    def unmeasured_cases(self) -> list[CaseResult]:
        return [c for c in self.cases if c.status == "unmeasured"]

    @property
    def errored_cases(self) -> list[CaseResult]:
        return [c for c in self.cases if c.status == "error"]

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {"pass": 0, "fail": 0, "unmeasured": 0, "error": 0}
        for case in self.cases:
            counts[case.status] += 1
        return {
            "seconds": round(self.seconds, 3),
            "passed": not self.failed_metrics and not self.errored_cases,
            "case_counts": counts,
            "metrics": {m.name: m.to_json() for m in self.metrics},
            "notes": self.notes,
            "cases": [c.to_json() for c in self.cases],
        }


def rate(hits: int, measured: int) -> float | None:
    """Hits / measured, or None when nothing was measured (never 0 or 1 by default)."""
    return hits / measured if measured else None

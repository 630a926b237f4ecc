"""The `preserve` suite: does the delivered message keep the rep's own substance?

Cases in `evals/preserve/*.jsonl` (written blind by a sales coach) list the
exact items a rewrite must keep (links, figures, the answer to the buyer's
question, greeting form, sign-off, callback number) and the offences it must
drop. The suite runs the deterministic path (no model: what every user gets
by default and whenever a model fails) and reports the share of must-keep
items kept, the offences that survived, and a form-letter check: no sentence
of seven or more words may appear in the outputs of more than 10% of cases.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.evals._cases import case_files, load_cases
from service.evals._results import CaseResult, Failure, Metric, SuiteResult
from service.guard import blocking_findings
from service.models import RewriteRequest
from service.pipeline import fallback, make_plan

SUITE = "preserve"
FORM_LETTER_MIN_WORDS = 7
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


class PreserveExpect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Literal["rewritten", "already_good"]
    keep: list[str] = Field(default_factory=list)
    drop: list[str] = Field(default_factory=list)
    absent_rules: list[str] = Field(default_factory=list)
    subject: str | None = None


class PreserveCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    note: str = ""
    request: RewriteRequest
    expect: PreserveExpect


def _sentences(body: str) -> set[str]:
    return {
        s.strip() for s in _SENTENCE_SPLIT.split(body) if len(s.split()) >= FORM_LETTER_MIN_WORDS
    }


def _score(case: PreserveCase) -> tuple[CaseResult, int, int, int, str]:
    plan = make_plan(case.request)
    outcome = fallback(plan, None)
    message = outcome.message
    text = f"{message.subject or ''}\n{message.body}"
    result = CaseResult(SUITE, case.id, "fallback", "pass")
    lost = [k for k in case.expect.keep if k not in text]
    survived = [d for d in case.expect.drop if d in text]
    verdict = "already_good" if plan.already_good else "rewritten"
    found = {f.rule for f in outcome.after.findings}
    checks = {
        "keep": not lost,
        "drop": not survived,
        "verdict": verdict == case.expect.verdict,
        "absent_rules": not (found & set(case.expect.absent_rules)),
        "guard": not blocking_findings(outcome.after),
        "subject": case.expect.subject is None or message.subject == case.expect.subject,
    }
    result.checks = checks
    for item in lost:
        result.failures.append(Failure("keep", f"lost {item!r}", message.body[:160]))
    for item in survived:
        result.failures.append(Failure("drop", f"offence survived {item!r}", message.body[:160]))
    for name, ok in checks.items():
        if not ok and name not in ("keep", "drop"):
            result.failures.append(Failure(name, f"{name} check failed", message.body[:160]))
    result.status = "pass" if all(checks.values()) else "fail"
    result.details = {"source": outcome.source, "lost": lost, "survived": survived}
    return (
        result,
        len(case.expect.keep) - len(lost),
        len(case.expect.keep),
        len(survived),
        message.body,
    )


def run_preserve_suite(directory: Path) -> SuiteResult:
    """Score every case on the deterministic path; keep share, offences, form-letter share."""
    started = time.perf_counter()
    cases = load_cases(case_files(directory), PreserveCase)
    suite = SuiteResult(SUITE)
    kept = total = survived = 0
    sentences: Counter[str] = Counter()
    for case in cases:
        result, k, t, s, body = _score(case)
        suite.cases.append(result)
        kept, total, survived = kept + k, total + t, survived + s
        sentences.update(_sentences(body))
    n = len(cases)
    top = sentences.most_common(1)
    repeated = top[0][1] / n if top and n else 0.0
    passed = sum(c.status == "pass" for c in suite.cases)
    suite.metrics = [
        Metric("fallback.keep_share", kept / total if total else None, total, total,
               threshold_key="fallback.keep_share", group="delivered quality"),
        Metric("fallback.offences_surviving", float(survived), n, n,
               threshold_key="fallback.offences_surviving", group="delivered quality"),
        Metric("fallback.form_letter_share", repeated, n, n,
               threshold_key="fallback.form_letter_share", group="delivered quality"),
        Metric("fallback.pass", passed / n if n else None, n, n,
               threshold_key="fallback.pass", group="delivered quality"),
    ]  # fmt: skip
    if top and n:
        suite.notes.append(f"most repeated 7+ word sentence ({top[0][1]} of {n}): {top[0][0]!r}")
    suite.seconds = time.perf_counter() - started
    return suite

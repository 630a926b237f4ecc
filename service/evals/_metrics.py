"""Turn case results into the rates the report shows and the thresholds gate.

Two families are always computed separately:
- model quality: share of first raw model answers that passed the guard
  (and, for injection, that did not repeat a canary), over measured cases;
- delivered quality: share of cases whose delivered message passes every
  check, per path (`model` = the full pipeline on recorded answers,
  `fallback` = the composer alone), plus the pass rate of each check.
"""

from __future__ import annotations

from service.evals._results import CaseResult, Metric, rate

PATH_GROUPS = {
    "model": "delivered quality (model path)",
    "fallback": "delivered quality (fallback path)",
    "fixture": "guard fixtures (hand-written, not model quality)",
}


def path_metrics(
    cases: list[CaseResult], path: str, checks: set[str] | None = None
) -> list[Metric]:
    """`<path>.pass` and `<path>.<check>` for every check in `checks`.

    `checks` defaults to the checks this path ran; pass the checks of every path
    so that a path whose cases were all unmeasured still lists (as unmeasured)
    the metrics that thresholds refer to.
    """
    on_path = [c for c in cases if c.path == path]
    if not on_path:
        return []
    measured = [c for c in on_path if c.status in ("pass", "fail")]
    group = PATH_GROUPS.get(path, path)
    metrics = [
        Metric(
            f"{path}.pass",
            rate(sum(c.status == "pass" for c in measured), len(measured)),
            len(measured),
            len(on_path),
            group=group,
        )
    ]
    names = sorted(checks if checks is not None else {n for c in measured for n in c.checks})
    for name in names:
        having = [c for c in measured if name in c.checks]
        hits = sum(c.checks[name] for c in having)
        metrics.append(
            Metric(
                f"{path}.{name}", rate(hits, len(having)), len(having), len(on_path), group=group
            )
        )
    return metrics


def model_quality(cases: list[CaseResult]) -> list[Metric]:
    on_path = [c for c in cases if c.path == "model"]
    if not on_path:
        return []
    metrics: list[Metric] = []
    for key, name in (
        ("first_pass", "model.first_answer_passed_guard"),
        ("raw_canary_free", "model.first_answer_canary_free"),
    ):
        values = [bool(c.details[key]) for c in on_path if key in c.details]
        if key == "raw_canary_free" and not values:
            continue
        metrics.append(
            Metric(
                name,
                rate(sum(values), len(values)),
                len(values),
                len(on_path),
                group="model quality",
            )
        )
    answered = [c for c in on_path if "source" in c.details]
    from_model = sum(c.details["source"] == "model" for c in answered)
    metrics.append(
        Metric(
            "model.delivered_from_model",
            rate(from_model, len(answered)),
            len(answered),
            len(on_path),
            group="model quality",
        )
    )
    return metrics


def errors_metric(cases: list[CaseResult]) -> Metric:
    """Cases where the pipeline raised: always gated at zero by the runner."""
    errored = sum(c.status == "error" for c in cases)
    return Metric(
        "errors",
        float(errored),
        len(cases),
        len(cases),
        maximum=0.0,
        threshold_key="errors",
        group="crashes",
    )


def judge_metric(cases: list[CaseResult]) -> list[Metric]:
    """`judge.pass`: the at-least-k verdict of the LLM judge, over judged model-path cases."""
    judged = [c.details["judge"] for c in cases if c.path == "model" and "judge" in c.details]
    if not judged:
        return []
    measured = [j for j in judged if j["status"] in ("pass", "fail")]
    hits = sum(j["status"] == "pass" for j in measured)
    return [
        Metric(
            "judge.pass",
            rate(hits, len(measured)),
            len(measured),
            len(judged),
            group="LLM judge (rubric)",
        )
    ]

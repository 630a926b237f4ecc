"""The eval arithmetic: labels, confusion counts, rates and threshold states."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import DataFileInvalid
from service.evals._analyzer_suite import AnalyzerScores, labelled, metrics_from, score_case
from service.evals._cases import AnalyzerCase
from service.evals._metrics import model_quality, path_metrics
from service.evals._results import CaseResult, Metric, rate
from service.evals._thresholds import load_thresholds
from service.models import Analysis, Finding, Metrics

pytestmark = pytest.mark.unit


def analysis(*rules: str, severity: str = "error") -> Analysis:
    findings = [
        Finding(
            rule=r,
            severity=severity,
            principle="no_guilt",  # type: ignore[arg-type]
            message=f"{r} found",
            start=0,
            end=5,
            excerpt="Hi Al",
        )
        for r in rules
    ]
    return Analysis(
        score=50,
        strategy="value_nudge",
        findings=findings,
        metrics=Metrics(words=5, sentences=1, questions=0, reading_grade=5.0, you_me_ratio=1.0),
    )


def case(
    fire: list[str] = (),
    quiet: list[str] = (),
    clean: bool = False,  # type: ignore[assignment]
    cid: str = "c1",
) -> AnalyzerCase:
    return AnalyzerCase.model_validate(
        {
            "id": cid,
            "channel": "email",
            "draft": "Hi Al, hello.",
            "expect": {"fire": list(fire), "quiet": list(quiet)},
            "clean": clean,
        }
    )


def test_a_case_counts_only_for_the_rules_it_labels() -> None:
    assert labelled(case(fire=["guilt_trip"], quiet=["jargon"])) == {
        "guilt_trip": True,
        "jargon": False,
    }


def test_a_clean_case_is_a_negative_for_every_rule_it_does_not_fire() -> None:
    labels = labelled(case(fire=["too_long"], clean=True), rules=("too_long", "jargon", "x"))
    assert labels == {"too_long": True, "jargon": False, "x": False}


def test_confusion_counts_give_precision_and_recall() -> None:
    scores = AnalyzerScores()
    # guilt_trip: one hit, one miss, one false alarm, one correct silence.
    score_case(case(fire=["guilt_trip"], cid="hit"), analysis("guilt_trip"), scores)
    score_case(case(fire=["guilt_trip"], cid="miss"), analysis(), scores)
    false_alarm = score_case(case(quiet=["guilt_trip"], cid="fa"), analysis("guilt_trip"), scores)
    score_case(case(quiet=["guilt_trip"], cid="ok"), analysis(), scores)
    c = scores.per_rule["guilt_trip"]
    assert (c.tp, c.fn, c.fp, c.tn) == (1, 1, 1, 1)
    assert c.precision == pytest.approx(0.5)
    assert c.recall == pytest.approx(0.5)
    assert false_alarm.status == "fail"
    assert false_alarm.failures[0].excerpt  # the offending text is shown


def test_unlabelled_rules_do_not_count_even_when_they_fire() -> None:
    scores = AnalyzerScores()
    result = score_case(case(fire=["guilt_trip"]), analysis("guilt_trip", "jargon"), scores)
    assert "jargon" not in scores.per_rule
    assert result.status == "pass"


def test_clean_error_rate_counts_clean_drafts_with_any_error_finding() -> None:
    scores = AnalyzerScores()
    score_case(case(clean=True, cid="a"), analysis("jargon", severity="warning"), scores)
    score_case(case(clean=True, cid="b"), analysis("guilt_trip"), scores)
    metric = next(m for m in metrics_from(scores, 2) if m.name == "clean_error_rate")
    assert metric.value == pytest.approx(0.5)
    assert metric.measured == 2


def test_score_calibration_is_the_share_of_clean_drafts_above_every_multi_error_draft() -> None:
    scores = AnalyzerScores()
    bad = analysis("guilt_trip", "pushy_close").model_copy(update={"score": 40})
    score_case(case(fire=["guilt_trip"], cid="bad"), bad, scores)
    for cid, score in (("high", 90), ("tie", 40), ("low", 30)):
        clean = analysis().model_copy(update={"score": score})
        score_case(case(clean=True, cid=cid), clean, scores)
    metric = next(m for m in metrics_from(scores, 4) if m.name == "score_calibration")
    assert metric.value == pytest.approx(1 / 3)  # a tie does not outscore
    assert metric.measured == 3


def test_score_calibration_is_unmeasured_without_a_multi_error_draft() -> None:
    scores = AnalyzerScores()
    score_case(case(clean=True), analysis(), scores)
    metric = next(m for m in metrics_from(scores, 1) if m.name == "score_calibration")
    assert metric.value is None


def test_a_rule_with_no_predictions_has_no_precision_rather_than_a_perfect_one() -> None:
    scores = AnalyzerScores()
    score_case(case(fire=["guilt_trip"]), analysis(), scores)
    metrics = {m.name: m for m in metrics_from(scores, 1)}
    assert metrics["precision[guilt_trip]"].value is None
    assert metrics["recall[guilt_trip]"].value == 0.0
    assert rate(0, 0) is None


@pytest.mark.parametrize(
    ("value", "minimum", "maximum", "status"),
    [
        (0.9, 0.9, None, "pass"),
        (0.89, 0.9, None, "fail"),
        (0.05, None, 0.05, "pass"),
        (0.06, None, 0.05, "fail"),
        (None, 0.9, None, "unmeasured"),
        (0.1, None, None, "info"),
    ],
)
def test_metric_status_against_its_threshold(
    value: float | None, minimum: float | None, maximum: float | None, status: str
) -> None:
    metric = Metric("m", value, 10, 10, minimum=minimum, maximum=maximum)
    assert metric.status == status


def test_unmeasured_cases_are_left_out_of_the_rates() -> None:
    cases = [
        CaseResult(
            "rewrites",
            "a",
            "model",
            "pass",
            checks={"guard": True},
            details={"first_pass": False, "source": "composer"},
        ),
        CaseResult(
            "rewrites",
            "b",
            "model",
            "fail",
            checks={"guard": False},
            details={"first_pass": True, "source": "model"},
        ),
        CaseResult("rewrites", "c", "model", "unmeasured", reason="no recording"),
    ]
    metrics = {m.name: m for m in path_metrics(cases, "model")}
    assert metrics["model.pass"].value == pytest.approx(0.5)
    assert (metrics["model.pass"].measured, metrics["model.pass"].total) == (2, 3)
    quality = {m.name: m for m in model_quality(cases)}
    assert quality["model.first_answer_passed_guard"].value == pytest.approx(0.5)
    assert quality["model.delivered_from_model"].value == pytest.approx(0.5)


def test_a_path_with_every_case_unmeasured_still_lists_its_gated_checks() -> None:
    cases = [CaseResult("rewrites", "a", "model", "unmeasured", reason="stale")]
    metrics = {m.name: m for m in path_metrics(cases, "model", {"guard"})}
    assert metrics["model.guard"].value is None


def test_thresholds_reject_a_key_no_metric_uses(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text("version = 1\n[analyzer]\nrule_precison = { min = 0.9 }\n")
    thresholds = load_thresholds(path)
    with pytest.raises(DataFileInvalid, match="rule_precison"):
        thresholds.apply(
            "analyzer", [Metric("precision[x]", 1.0, 1, 1, threshold_key="rule_precision")]
        )


@pytest.mark.parametrize("table", ['{ min = "high" }', "{ min = 1, max = 2 }", "{ at_least = 1 }"])
def test_thresholds_reject_malformed_bounds(tmp_path: Path, table: str) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(f"version = 1\n[analyzer]\nclean_error_rate = {table}\n")
    with pytest.raises(DataFileInvalid):
        load_thresholds(path)


def test_a_family_threshold_applies_to_every_member(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text("version = 2\n[analyzer]\nrule_recall = { min = 0.85 }\n")
    metrics = [
        Metric("recall[a]", 0.9, 1, 1, threshold_key="rule_recall"),
        Metric("recall[b]", 0.5, 1, 1, threshold_key="rule_recall"),
    ]
    load_thresholds(path).apply("analyzer", metrics)
    assert [m.status for m in metrics] == ["pass", "fail"]

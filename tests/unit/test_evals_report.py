"""Reports: JUnit XML that CI tools can read, the text table, and the baseline diff."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from service.evals._report import Report, compare, junit_xml, render_table
from service.evals._results import REFRESH_COMMAND, CaseResult, Failure, Metric, SuiteResult

pytestmark = pytest.mark.unit


def report() -> Report:
    suite = SuiteResult(
        "rewrites",
        metrics=[
            Metric("model.pass", None, 0, 2, minimum=0.8),
            Metric("fallback.pass", 0.5, 2, 2, minimum=0.8),
            Metric("fallback.keep", 1.0, 2, 2),
        ],
        cases=[
            CaseResult("rewrites", "ok", "fallback", "pass", checks={"keep": True}),
            CaseResult(
                "rewrites",
                "bad & <odd>",
                "fallback",
                "fail",
                checks={"keep": False},
                failures=[Failure("keep", "lost the fact 'Dana'", "Hi <there> & all")],
            ),
            CaseResult("rewrites", "ok", "model", "unmeasured", reason="no recording"),
            CaseResult("rewrites", "boom", "model", "error", reason="KeyError: 'x'"),
        ],
        seconds=0.25,
    )
    return Report(
        started_at="2026-01-01T00:00:00Z",
        mode="replay",
        model="m",
        recorded=None,
        prompt_version="abc",
        thresholds_file="thresholds.toml",
        thresholds_version=1,
        suites=[suite],
        wall_time_s=1.5,
    )


def test_junit_xml_is_well_formed_and_counts_add_up() -> None:
    root = ET.fromstring(junit_xml(report()))  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    # 4 cases + 2 gated metrics; the ungated metric is not a test.
    assert suite.get("tests") == "6"
    assert suite.get("failures") == "2"  # the failing case and fallback.pass
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "2"  # the unmeasured case and model.pass
    skipped = [s.get("message", "") for s in root.iter("skipped")]
    assert all(m.startswith("UNMEASURED") for m in skipped)
    names = {tc.get("name") for tc in root.iter("testcase")}
    assert "bad & <odd> [fallback]" in names


def test_the_table_shows_failures_with_excerpts_and_how_to_refresh() -> None:
    text = render_table(report())
    assert "lost the fact 'Dana'" in text
    assert "Hi <there> & all" in text
    assert "UNMEASURED" in text
    assert REFRESH_COMMAND in text
    assert "RESULT: FAIL" in text
    assert "rewrites.fallback.pass" in text


def test_exit_code_follows_the_thresholds_not_the_unmeasured_cases() -> None:
    r = report()
    assert r.exit_code == 1  # fallback.pass 0.5 < 0.8
    r.suites[0].metrics[1].value = 0.9
    assert r.exit_code == 0  # model.pass is unmeasured: reported, neither pass nor fail
    r.require_measured = True
    assert r.exit_code == 1


def test_a_stray_network_call_fails_the_run() -> None:
    r = report()
    r.suites[0].metrics[1].value = 0.9
    r.stray_network_calls = ["93.184.216.34:443"]
    assert r.exit_code == 1
    assert "STRAY NETWORK CALL" in render_table(r)
    offline = ET.fromstring(junit_xml(r)).find("testsuite[@name='offline']")  # noqa: S314
    assert offline is not None


def test_the_json_report_carries_wall_time_and_metric_states() -> None:
    data = report().to_json()
    assert data["wall_time_s"] == 1.5
    metrics = data["suites"]["rewrites"]["metrics"]
    assert metrics["model.pass"]["status"] == "unmeasured"
    assert metrics["fallback.pass"]["status"] == "fail"
    assert data["summary"]["refresh_command"] == REFRESH_COMMAND


def test_baseline_diff_lists_regressions_and_improvements() -> None:
    before = report().to_json()
    r = report()
    r.suites[0].metrics[1].value = 1.0  # fallback.pass improves
    r.suites[0].metrics[2].value = 0.5  # fallback.keep regresses
    r.suites[0].cases[0].status = "fail"  # ok[fallback] regresses
    r.suites[0].cases[1].status = "pass"  # the failing case now passes
    regressions, improvements = compare(r.to_json(), before)
    assert "rewrites.fallback.keep: 1.000 -> 0.500" in regressions
    assert "rewrites/ok[fallback]: pass -> fail" in regressions
    assert "rewrites.fallback.pass: 0.500 -> 1.000" in improvements
    assert "rewrites/bad & <odd>[fallback]: fail -> pass" in improvements


def test_for_a_rate_gated_by_a_maximum_going_up_is_a_regression() -> None:
    old = {
        "suites": {
            "analyzer": {
                "metrics": {"clean_error_rate": {"value": 0.02, "threshold": "<= 0.05"}},
                "cases": [],
            }
        }
    }
    new = {
        "suites": {
            "analyzer": {
                "metrics": {"clean_error_rate": {"value": 0.04, "threshold": "<= 0.05"}},
                "cases": [],
            }
        }
    }
    regressions, improvements = compare(new, old)
    assert regressions == ["analyzer.clean_error_rate: 0.020 -> 0.040"]
    assert improvements == []

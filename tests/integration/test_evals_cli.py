"""`tactful evals run` as CI runs it: a subprocess, offline, with reports on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def tactful(
    *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_BASE_URL"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_analyzer_suite_runs_as_a_subprocess_and_its_exit_code_matches_the_report(
    tmp_path: Path,
) -> None:
    done = tactful("evals", "run", "--suite", "analyzer", "--report-dir", str(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["passed"] is (done.returncode == 0)
    assert report["exit_code"] == done.returncode
    analyzer = report["suites"]["analyzer"]
    assert analyzer["case_counts"]["pass"] + analyzer["case_counts"]["fail"] > 0
    assert any(name.startswith("precision[") for name in analyzer["metrics"])
    assert report["summary"]["stray_network_calls"] == []
    ET.parse(tmp_path / "junit.xml")  # noqa: S314 - our own file; checks it is well-formed
    assert "RESULT:" in done.stdout


def test_a_failing_threshold_fails_the_process(tmp_path: Path) -> None:
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text("version = 1\n[analyzer]\nclean_error_rate = { max = -1 }\n")
    done = tactful("evals", "run", "--suite", "analyzer", "--thresholds", str(thresholds))
    assert done.returncode == 1
    assert "thresholds missed: analyzer.clean_error_rate" in done.stdout

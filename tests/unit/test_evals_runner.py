"""The runner end to end on small, hand-made eval directories: exit codes and offline-ness."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
from pathlib import Path

import pytest

from service.cli._evals import register
from service.evals import StrayNetworkCall, no_network
from service.evals._results import SuiteResult
from service.evals._runner import DEFAULT_EVALS_DIR, RunOptions, run

pytestmark = pytest.mark.unit

# A draft that counts unanswered attempts, and one that does not.
GUILTY = "Hi Al, I've emailed you three times and you never replied. Any update?"
KIND = "Hi Al, you mentioned the Monday reports take hours. Would a two-line summary help?"


def evals_dir(tmp_path: Path, *, min_recall: float) -> Path:
    root = tmp_path / "evals"
    (root / "analyzer").mkdir(parents=True)
    lines = [
        {
            "id": "guilty",
            "channel": "email",
            "draft": GUILTY,
            "expect": {"fire": ["guilt_trip"], "quiet": []},
            "clean": False,
        },
        {
            "id": "kind",
            "channel": "email",
            "draft": KIND,
            "expect": {"fire": [], "quiet": ["guilt_trip"]},
            "clean": False,
        },
    ]
    (root / "analyzer" / "cases.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    (root / "thresholds.toml").write_text(
        f"version = 1\n[analyzer]\nrule_recall = {{ min = {min_recall} }}\n"
    )
    return root


def cli(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="tactful")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_a_missed_threshold_exits_non_zero_and_a_met_one_zero(tmp_path: Path) -> None:
    # A recall above 1 can never be met: the run must fail whatever the analyzer does.
    impossible = evals_dir(tmp_path / "a", min_recall=1.01)
    assert cli(["evals", "run", "--suite", "analyzer", "--evals-dir", str(impossible)]) == 1
    trivial = evals_dir(tmp_path / "b", min_recall=0.0)
    assert cli(["evals", "run", "--suite", "analyzer", "--evals-dir", str(trivial)]) == 0


def test_reports_are_written_where_asked(tmp_path: Path) -> None:
    root = evals_dir(tmp_path, min_recall=0.0)
    out = tmp_path / "reports"
    assert (
        cli(
            [
                "evals",
                "run",
                "--suite",
                "analyzer",
                "--evals-dir",
                str(root),
                "--report-dir",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads((out / "report.json").read_text())
    assert data["suites"]["analyzer"]["metrics"]["recall[guilt_trip]"]["measured"] == 1
    assert data["wall_time_s"] > 0
    assert (out / "junit.xml").read_text().startswith("<?xml")


def test_a_baseline_comparison_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = evals_dir(tmp_path, min_recall=0.0)
    out = tmp_path / "reports"
    cli(["evals", "run", "--suite", "analyzer", "--evals-dir", str(root), "--report-dir", str(out)])
    capsys.readouterr()
    cli(
        [
            "evals",
            "run",
            "--suite",
            "analyzer",
            "--evals-dir",
            str(root),
            "--baseline",
            str(out / "report.json"),
        ]
    )
    assert "Against baseline" in capsys.readouterr().out


def test_an_invalid_case_file_is_a_configuration_error(tmp_path: Path) -> None:
    root = evals_dir(tmp_path, min_recall=0.0)
    (root / "analyzer" / "broken.jsonl").write_text('{"id": "x", "draft": "hi", "channel": "fax"}')
    assert cli(["evals", "run", "--suite", "analyzer", "--evals-dir", str(root)]) == 2


def test_a_typo_in_the_thresholds_file_is_a_configuration_error(tmp_path: Path) -> None:
    root = evals_dir(tmp_path, min_recall=0.0)
    (root / "thresholds.toml").write_text("version = 1\n[analyzer]\nrecal = { min = 0.5 }\n")
    assert cli(["evals", "run", "--suite", "analyzer", "--evals-dir", str(root)]) == 2


def test_connecting_off_the_machine_is_refused_and_remembered() -> None:
    with no_network() as guard:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with sock, pytest.raises(StrayNetworkCall):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routable anyway
        with pytest.raises(StrayNetworkCall):
            socket.getaddrinfo("example.com", 443)
    assert guard.attempts == ["192.0.2.1:443", "example.com:443 (DNS lookup)"]
    # The patch is gone after the block.
    assert socket.getaddrinfo("localhost", 80)


def test_loopback_stays_reachable_offline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, no_network() as guard:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    assert guard.attempts == []


def test_a_swallowed_stray_call_still_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sneaky_suite(directory: Path) -> SuiteResult:
        del directory
        # Code under test that hides the failure.
        with contextlib.suppress(OSError):
            socket.create_connection(("192.0.2.1", 80), timeout=1)
        return SuiteResult("analyzer")

    monkeypatch.setattr("service.evals._runner.run_analyzer_suite", sneaky_suite)
    root = evals_dir(tmp_path, min_recall=0.0)
    report = run(RunOptions(suites=("analyzer",), evals_dir=root))
    assert report.stray_network_calls == ["192.0.2.1:80"]
    assert report.exit_code == 1


def test_the_shipped_case_files_are_valid(tmp_path: Path) -> None:
    """Every committed case, fixture, ask and threshold loads (fallback path only)."""
    root = tmp_path / "evals"
    shutil.copytree(DEFAULT_EVALS_DIR, root, ignore=shutil.ignore_patterns("recordings"))
    report = run(
        RunOptions(
            suites=("rewrites", "injection", "robustness"),
            evals_dir=root,
            recordings_dir=tmp_path / "no-recordings",
        )
    )
    by_name = {s.name: s for s in report.suites}
    assert len({c.case_id for c in by_name["rewrites"].cases}) >= 40
    assert (
        len({c.case_id for c in by_name["injection"].cases if not c.case_id.startswith("fixture-")})
        >= 30
    )
    # Without recordings, every model-path case is unmeasured, never passed or failed.
    model_cases = [c for s in report.suites for c in s.cases if c.path == "model"]
    assert model_cases
    assert all(c.status == "unmeasured" for c in model_cases)


def test_a_case_filtered_run_may_leave_gated_paths_without_cases(tmp_path: Path) -> None:
    root = tmp_path / "evals"
    shutil.copytree(DEFAULT_EVALS_DIR, root, ignore=shutil.ignore_patterns("recordings"))
    # Only one injection case: the hand-written fixtures are filtered out, yet
    # their threshold must not turn the run into a configuration error.
    report = run(
        RunOptions(
            suites=("injection",),
            evals_dir=root,
            case_filter=("inj-01-*",),
            recordings_dir=tmp_path / "none",
        )
    )
    assert {c.case_id for c in report.suites[0].cases} == {"inj-01-instruction"}

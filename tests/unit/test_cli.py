"""`tactful analyze` and `tactful rewrite`: same JSON in and out as the endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import DANA_CONTEXT, PUSHY_DRAFT

pytestmark = pytest.mark.unit

REQUEST = {
    "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
    "context": DANA_CONTEXT,
}
# Fields that differ between any two calls by design.
VOLATILE = {"id", "latency_ms"}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TACTFUL_EMBEDDED_MODEL": "off", "TACTFUL_LOG_LEVEL": "WARNING"}
    env.pop("OPENAI_BASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def stable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in VOLATILE}


async def test_analyze_cli_prints_what_the_endpoint_returns(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    result = run_cli("analyze", "-", stdin=json.dumps(REQUEST))
    assert result.returncode == 0, result.stderr
    endpoint = (await composer_client.post("/v1/analyze", json=REQUEST)).json()
    assert json.loads(result.stdout) == endpoint


async def test_rewrite_cli_prints_what_the_endpoint_returns(
    composer_client: AsyncTestClient[Litestar], tmp_path: Path
) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST), encoding="utf-8")
    result = run_cli("rewrite", str(path))
    assert result.returncode == 0, result.stderr
    endpoint = (await composer_client.post("/v1/rewrites", json=REQUEST)).json()
    printed = json.loads(result.stdout)
    assert stable(printed) == stable(endpoint)
    assert printed["source"] == "composer"


@pytest.mark.parametrize(
    ("stdin", "status", "needle"),
    [
        pytest.param("{oops", 400, "not valid JSON", id="broken-json"),
        pytest.param(
            json.dumps({"draft": {"channel": "fax", "body": "x"}}),
            422,
            "draft.channel",
            id="bad-channel",
        ),
        pytest.param(json.dumps({"context": {}}), 422, "draft", id="missing-draft"),
    ],
)
def test_cli_bad_input_prints_a_problem_and_exits_2(stdin: str, status: int, needle: str) -> None:
    for command in ("analyze", "rewrite"):
        result = run_cli(command, "-", stdin=stdin)
        assert result.returncode == 2
        problem = json.loads(result.stdout)
        assert problem["status"] == status
        assert needle in json.dumps(problem)
        assert "Traceback" not in result.stderr


def test_cli_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    result = run_cli("analyze", str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert json.loads(result.stdout)["status"] == 400
    assert "Traceback" not in result.stderr


def _rules(printed: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in printed["findings"]}


def test_analyze_takes_plain_text_as_the_draft_body() -> None:
    result = run_cli("analyze", "--channel", "sms", stdin="Just checking in, any update??\n")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert "empty_check_in" in _rules(printed)
    # The trailing newline of piped text is not part of the body: spans stay inside it.
    assert all(f["end"] <= len("Just checking in, any update??") for f in printed["findings"])


def test_analyze_reads_stdin_by_default_and_accepts_a_bare_message() -> None:
    result = run_cli("analyze", stdin=json.dumps({"channel": "sms", "body": "Reply YES to sign."}))
    assert result.returncode == 0, result.stderr
    assert "pushy_close" in _rules(json.loads(result.stdout))


def test_analyze_runs_labelled_cases_as_json_lines_and_echoes_their_ids() -> None:
    cases = [
        {
            "id": "case-1",
            "industry": "retail",
            "channel": "sms",
            "draft": "Only 2 spots left, offer ends Friday!",
            "expect": {"fire": ["false_urgency"]},
        },
        {"id": "case-2", "draft": {"body": "Would a short checklist help?"}, "note": "clean"},
        {"id": "case-3", "draft": {"channel": "fax", "body": "x"}},
    ]
    result = run_cli("analyze", stdin="\n".join(json.dumps(c) for c in cases) + "\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["case-1", "case-2", "case-3"]
    assert "false_urgency" in _rules(lines[0])
    assert lines[0]["metrics"]["budget"]["max_chars"] == 320  # the case's channel was used
    assert "false_urgency" not in _rules(lines[1])
    assert lines[2]["status"] == 422  # one bad case is reported in its place...
    assert result.returncode == 2  # ...and the exit status says something failed
    # The labels are set aside, each named once on stderr, never taken as request fields.
    for key in ("expect", "industry", "note"):
        assert result.stderr.count(key) == 1


def test_analyze_accepts_a_json_array_of_requests() -> None:
    result = run_cli("analyze", stdin=json.dumps([REQUEST, REQUEST]))
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == second
    assert first["findings"]


def test_analyze_rejects_empty_input_with_a_problem() -> None:
    result = run_cli("analyze", stdin="  \n")
    assert result.returncode == 2
    assert json.loads(result.stdout)["status"] == 400


@pytest.mark.parametrize(
    ("channel", "body", "keep", "drop"),
    [
        pytest.param(
            "voicemail",
            "Hi Dana, it's Chris from Stockwise, third call this week. I mapped your store "
            "transfers into one weekly plan. Call me back on 555-0143.",
            ["555-0143", "it's Chris from Stockwise", "weekly plan"],
            ["third call"],
            id="voicemail-callback",
        ),
        pytest.param(
            "email",
            "Hi Dana and Sam,\n\nPer my last email, the transfer checklist is at "
            "https://stockwise.example/c. Sign by Friday and I'll add 20% off.\n\nBest,\nChris",
            ["Hi Dana and Sam,", "https://stockwise.example/c", "Best,\nChris"],
            ["Per my last email", "20% off"],
            id="email-two-names-link",
        ),
    ],
)
def test_rewrite_cli_keeps_the_reps_substance(
    tmp_path: Path, channel: str, body: str, keep: list[str], drop: list[str]
) -> None:
    request = {
        "draft": {"channel": channel, "body": body, "subject": "Re: transfers"},
        "context": DANA_CONTEXT,
    }
    if channel != "email":
        del request["draft"]["subject"]  # type: ignore[attr-defined]
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    result = run_cli("rewrite", str(path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    out = data["rewrite"]["body"]
    assert data["source"] == "editor"
    for item in keep:
        assert item in out
    for item in drop:
        assert item not in out
    if channel == "email":
        assert data["rewrite"]["subject"] == "Re: transfers"


# --------------------------------------------------------------------- serve --workers


def _serve(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, list[Any]]:
    """Run `tactful serve ...` with uvicorn.run recorded instead of started."""
    import uvicorn

    from service.cli import main
    from service.settings import get_settings

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    get_settings.cache_clear()
    try:
        code = main(["serve", *argv])
    finally:
        get_settings.cache_clear()
    return code, calls


def test_serve_with_workers_needs_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("TACTFUL_EMBEDDED_MODEL", "off")
    code, calls = _serve(monkeypatch, "--workers", "2")
    assert code == 2
    assert calls == []
    assert "--workers 2 needs REDIS_URL" in capsys.readouterr().err


def test_serve_with_workers_runs_the_factory_in_each_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    monkeypatch.setenv("TACTFUL_EMBEDDED_MODEL", "off")
    code, calls = _serve(monkeypatch, "--workers", "3", "--port", "8123")
    assert code == 0
    [(app, kwargs)] = calls
    assert app == "service.cli._commands:served_app"
    assert kwargs["factory"] is True
    assert kwargs["workers"] == 3
    assert kwargs["port"] == 8123


def test_serve_refuses_zero_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    code, calls = _serve(monkeypatch, "--workers", "0")
    assert (code, calls) == (2, [])


def test_serve_refuses_one_embedded_model_per_worker() -> None:
    from service.cli._commands import workers_refusal

    assert workers_refusal(1, None, embedded=True) is None
    refusal = workers_refusal(2, "redis://x", embedded=True)
    assert refusal is not None
    assert "one model per worker" in refusal
    assert workers_refusal(4, "redis://x", embedded=False) is None


def test_the_worker_factory_builds_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.cli._commands import served_app
    from service.settings import get_settings

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("TACTFUL_EMBEDDED_MODEL", "off")
    monkeypatch.setenv("TACTFUL_REQUIRE_API_KEY", "true")
    get_settings.cache_clear()
    try:
        app = served_app()
        assert isinstance(app, Litestar)
        assert get_settings().require_api_key is True
    finally:
        get_settings.cache_clear()

"""The Python client example and the CRM workflow example against a live `tactful serve`."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PUSHY = (
    "Hi Dana, I have reached out three times and heard nothing. Just checking in again. "
    "This offer expires Friday, are you ready to move forward?"
)


def _load(relative: str) -> ModuleType:
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`tactful serve` in a subprocess: no model, no Redis, feedback in a file."""
    port = _free_port()
    feedback = tmp_path_factory.mktemp("feedback") / "feedback.jsonl"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OPENAI_BASE_URL", "OPENAI_API_KEY", "REDIS_URL", "TACTFUL_API_KEYS_FILE"}
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "TACTFUL_EMBEDDED_MODEL": "off",
        "TACTFUL_FEEDBACK_FILE": str(feedback),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "serve exited")
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("tactful serve did not start")
            time.sleep(0.1)
        yield {"url": url, "feedback": feedback}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def _feedback(server: dict[str, Any]) -> list[dict[str, Any]]:
    path: Path = server["feedback"]
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_python_client_analyze_stream_and_feedback(server: dict[str, Any]) -> None:
    client = _load("examples/python/tactful_client.py")
    with client.Tactful(server["url"]) as tactful:
        analysis = tactful.analyze(PUSHY)
        rules = {f["rule"] for f in analysis["findings"]}
        assert {"guilt_trip", "false_urgency", "pushy_close"} <= rules
        events = list(tactful.rewrite_stream({"draft": {"channel": "email", "body": PUSHY}}))
        kinds = [e.event for e in events]
        assert kinds[0] == "strategy"
        assert "delta" in kinds
        assert kinds[-1] == "result"
        result = events[-1].data
        assert result["after"]["score"] > analysis["score"]
        assert not [f for f in result["after"]["findings"] if f["severity"] == "error"]
        # the JSON path answers the same request with a checked rewrite too
        plain = tactful.rewrite({"draft": {"channel": "email", "body": PUSHY}})
        assert plain["rewrite"]["body"]
        tactful.feedback(result["id"], "edited", result["rewrite"]["body"] + "\n\nChris")
    assert _feedback(server)[-1]["outcome"] == "edited"


def test_python_client_errors_carry_status_and_problem(server: dict[str, Any]) -> None:
    client = _load("examples/python/tactful_client.py")
    with client.Tactful(server["url"]) as tactful, pytest.raises(client.TactfulError) as info:
        tactful.analyze("")
    assert info.value.status == 422
    assert info.value.problem


def test_python_client_cli(server: dict[str, Any]) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples/python/tactful_client.py"),
            "--url",
            server["url"],
            PUSHY,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.startswith("score ")
    assert "checked (" in out.stdout


def test_parse_sse_joins_data_lines_and_skips_comments() -> None:
    client = _load("examples/python/tactful_client.py")
    lines = [": hi", "event: delta", 'data: {"text":', 'data: "x"}', "", "data: plain", ""]
    events = list(client.parse_sse(iter(lines)))
    assert [(e.event, e.data) for e in events] == [("delta", {"text": "x"}), ("message", "plain")]


def test_crm_webhook_rewrites_a_queued_follow_up_and_posts_feedback(
    server: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = _load("examples/crm/webhook.py")
    event = {
        "event_id": "evt-123",
        "task_id": "task-9",
        "channel": "email",
        "subject": "Following up",
        "body": PUSHY,
        "touches_since_reply": 3,
        "days_since_reply": 21,
        "contact": {"name": "Dana Miles", "company": "Miles Outfitters", "title": "Ops lead"},
        "deal": {"stage": "proposal_sent", "goal": "keep stock balanced across three new stores"},
        "owner": {"name": "Chris", "company": "Stockwise"},
    }
    with httpx.Client(base_url=server["url"], timeout=60) as http:
        queued = crm.handle_queued(event, http)
        assert queued["task_id"] == "task-9"
        assert queued["score_after"] > queued["score_before"]
        assert queued["changes"]
        # a CRM retry of the same event is replayed, not rewritten twice
        again = crm.handle_queued(event, http)
        assert again["rewrite_id"] == queued["rewrite_id"]
        sent = crm.handle_sent(
            {
                "event_id": "evt-124",
                "rewrite_id": queued["rewrite_id"],
                "suggested_body": queued["body"],
                "sent_body": queued["body"],
                "original_body": PUSHY,
            },
            http,
        )
        assert sent["outcome"] == "accepted"
        edited = crm.handle_sent(
            {
                "event_id": "evt-125",
                "rewrite_id": queued["rewrite_id"],
                "suggested_body": queued["body"],
                "sent_body": queued["body"] + " Talk soon.",
                "original_body": PUSHY,
            },
            http,
        )
        assert edited["outcome"] == "edited"
    outcomes = [e["outcome"] for e in _feedback(server) if e["rewrite_id"] == queued["rewrite_id"]]
    assert outcomes[-2:] == ["accepted", "edited"]
    # the default client reads TACTFUL_URL
    monkeypatch.setattr(crm, "TACTFUL_URL", server["url"])
    assert crm.handle_queued({**event, "event_id": "evt-200"})["body"]

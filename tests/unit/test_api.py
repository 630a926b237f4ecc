"""The HTTP contract: shapes, problem+json errors, catalogues, OpenAPI, streaming."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.llm import FakeChatModel
from service.models import RULE_IDS, STRATEGY_IDS
from service.settings import Settings
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER, PUSHY_DRAFT, make_app

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"


def rewrite_body(**options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "draft": {"channel": "email", "subject": "Following up", "body": PUSHY_DRAFT},
        "context": DANA_CONTEXT,
    }
    if options:
        body["options"] = options
    return body


async def test_analyze_returns_the_contract_shape(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    response = await composer_client.post("/v1/analyze", json=rewrite_body())
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"score", "strategy", "findings", "metrics"}
    assert 0 <= data["score"] <= 100
    assert data["strategy"] in STRATEGY_IDS
    assert set(data["metrics"]) == {
        "words",
        "sentences",
        "questions",
        "reading_grade",
        "you_me_ratio",
        "characters",
        "budget",
        "within_budget",
    }
    # The email default budget, and the draft measured against it.
    assert data["metrics"]["budget"] == {"max_words": 125, "max_chars": None}
    assert data["metrics"]["within_budget"] is (data["metrics"]["words"] <= 125)
    for finding in data["findings"]:
        assert PUSHY_DRAFT[finding["start"] : finding["end"]] == finding["excerpt"]


async def test_rewrite_returns_the_contract_shape(settings: Settings) -> None:
    app = make_app(settings, FakeChatModel([GOOD_ANSWER]))
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/v1/rewrites", json=rewrite_body())
    assert response.status_code == 200
    data = response.json()
    for key in (
        "id",
        "strategy",
        "rewrite",
        "variants",
        "changes",
        "before",
        "after",
        "verdict",
        "source",
        "model",
        "prompt_version",
        "usage",
        "cached",
        "latency_ms",
    ):
        assert key in data, key
    assert data["source"] == "model"
    assert data["verdict"] == "rewritten"
    assert data["rewrite"]["channel"] == "email"
    assert set(data["strategy"]) == {"id", "reason"}


async def test_rewrite_without_a_model_says_which_deterministic_path_wrote_it(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    response = await composer_client.post("/v1/rewrites", json=rewrite_body())
    assert response.status_code == 200
    data = response.json()
    # No model configured is not a degradation: `source` alone says which path answered.
    assert data["source"] in ("editor", "composer")
    assert data["degraded_reason"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"context": {}}, "draft", id="missing-draft"),
        pytest.param(
            {"draft": {"channel": "fax", "body": "hi"}}, "draft.channel", id="unknown-channel"
        ),
        pytest.param({"draft": {"channel": "email", "body": ""}}, "draft.body", id="empty-body"),
        pytest.param(
            {"draft": {"channel": "email", "body": "Hi"}, "options": {"variants": 9}},
            "options.variants",
            id="too-many-variants",
        ),
        pytest.param(
            {"draft": {"channel": "email", "body": "Hi"}, "options": {"strategy": "hard_sell"}},
            "options.strategy",
            id="unknown-strategy",
        ),
        pytest.param(
            {"draft": {"channel": "email", "body": "Hi", "bdy": "typo"}},
            "draft.bdy",
            id="unknown-key",
        ),
        pytest.param(
            {
                "draft": {"channel": "email", "body": "Hi"},
                "context": {"history": {"touches_since_reply": -1}},
            },
            "context.history.touches_since_reply",
            id="negative-touches",
        ),
    ],
)
async def test_invalid_rewrite_input_is_a_422_problem_naming_the_field(
    composer_client: AsyncTestClient[Litestar], payload: dict[str, Any], field: str
) -> None:
    response = await composer_client.post("/v1/rewrites", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 422
    assert any(field in e["field"] for e in problem["errors"]), problem
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(b"{not json", {"content-type": "application/json"}, id="broken-json"),
        pytest.param(b"[1, 2]", {"content-type": "application/json"}, id="json-array"),
        pytest.param(b"\xff\xfe\x00", {"content-type": "application/json"}, id="binary"),
        pytest.param(b"", {"content-type": "application/json"}, id="empty"),
    ],
)
async def test_unreadable_bodies_are_4xx_problems(
    composer_client: AsyncTestClient[Litestar], content: bytes, headers: dict[str, str]
) -> None:
    for path in ("/v1/analyze", "/v1/rewrites"):
        response = await composer_client.post(path, content=content, headers=headers)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == response.status_code


async def test_oversized_body_is_a_413_problem(settings: Settings) -> None:
    app = make_app(settings.model_copy(update={"max_body_bytes": 4096}))
    async with AsyncTestClient(app=app) as client:
        body = rewrite_body()
        body["draft"]["body"] = "word " * 2000
        response = await client.post("/v1/analyze", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_unknown_route_is_a_404_problem(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    response = await composer_client.get("/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_catalogues_list_every_rule_and_strategy(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    rules = (await composer_client.get("/v1/rules")).json()["rules"]
    strategies = (await composer_client.get("/v1/strategies")).json()["strategies"]
    assert {r["id"] for r in rules} >= set(RULE_IDS)
    assert {s["id"] for s in strategies} == set(STRATEGY_IDS)
    assert all(r["severity"] in {"error", "warning"} for r in rules)


async def test_openapi_document_is_served(composer_client: AsyncTestClient[Litestar]) -> None:
    response = await composer_client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/v1/rewrites" in paths
    assert "/v1/analyze" in paths


async def test_rewrite_streams_server_sent_events(settings: Settings) -> None:
    app = make_app(settings, FakeChatModel([GOOD_ANSWER]))
    async with AsyncTestClient(app=app) as client:
        response = await client.post(
            "/v1/rewrites", json=rewrite_body(), headers={"accept": "text/event-stream"}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        line.removeprefix("event: ").strip()
        for line in response.text.splitlines()
        if line.startswith("event:")
    ]
    assert events[0] == "strategy"
    assert events[-1] == "result"
    assert "delta" in events
    data_lines = [
        line.removeprefix("data: ")
        for line in response.text.splitlines()
        if line.startswith("data:")
    ]
    final = json.loads(data_lines[-1])
    assert final["source"] == "model"


async def test_health_endpoints(composer_client: AsyncTestClient[Litestar]) -> None:
    assert (await composer_client.get("/health/live")).status_code == 200
    ready = await composer_client.get("/health/ready")
    assert ready.status_code == 200


async def test_analyze_findings_carry_one_click_fixes(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    body = "Hi Dana, I've emailed you three times now. The stock guide: https://x.example/g. Owen"
    response = await composer_client.post(
        "/v1/analyze", json={"draft": {"channel": "linkedin", "body": body}}
    )
    assert response.status_code == 200
    guilt = next(f for f in response.json()["findings"] if f["rule"] == "guilt_trip")
    fix = guilt["suggestions"][0]
    fixed = body[: fix["start"]] + fix["text"] + body[fix["end"] :]
    assert "three times" not in fixed
    assert "https://x.example/g" in fixed


async def test_rewrite_keeps_the_reps_link_and_signoff_over_http(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    body = (
        "Hi Dana,\n\nJust circling back. The transfer checklist is at https://x.example/c and "
        "it saved one store 6 hours a week.\n\nAre you ready to move forward?\n\nChris"
    )
    response = await composer_client.post(
        "/v1/rewrites",
        json={"draft": {"channel": "email", "subject": "Re: transfers", "body": body}},
    )
    data = response.json()
    out = data["rewrite"]
    assert data["source"] == "editor"
    assert "https://x.example/c" in out["body"]
    assert "6 hours" in out["body"]
    assert out["subject"] == "Re: transfers"
    assert out["body"].startswith("Hi Dana,")
    assert out["body"].endswith("Chris")
    assert "circling back" not in out["body"]
    assert "move forward" not in out["body"]
    assert all(c["before"] == "" or c["before"] in body for c in data["changes"])


@pytest.mark.parametrize("channel", ["linkedin", "email", "sms"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_an_empty_subject_is_accepted_and_never_a_500(
    composer_client: AsyncTestClient[Litestar], channel: str, stream: bool
) -> None:
    # Found by schemathesis: `"subject": ""` is valid input, and the guard read it as a
    # subject to check, built a Message with an empty body from it and answered 500.
    draft = {
        "channel": channel,
        "subject": "",
        "body": "Hi Dana,\n\nI'd still like to be useful on keeping stock balanced across "
        "three new stores, whatever you decide. Is this useful on your side?\nBest,\nChris",
    }
    headers = {"accept": "text/event-stream"} if stream else {}
    response = await composer_client.post(
        "/v1/rewrites", json={"draft": draft, "context": None}, headers=headers
    )
    assert response.status_code == 200
    if stream:
        events = [ln for ln in response.text.splitlines() if ln.startswith("event:")]
        assert events[-1] == "event: result"
        final = json.loads(
            [ln for ln in response.text.splitlines() if ln.startswith("data:")][-1][5:]
        )
    else:
        final = response.json()
    assert final["rewrite"]["body"].strip()
    assert final["rewrite"]["subject"] in ("", None)


@pytest.mark.parametrize("name", [" ", "\n", "\u200b"])
async def test_a_blank_prospect_name_is_never_a_500(
    composer_client: AsyncTestClient[Litestar], name: str
) -> None:
    # An empty check-in makes the editor quote what the buyer told the rep, addressed
    # by first name: a whitespace-only name had no first word (IndexError, 500).
    body = {
        "draft": {"channel": "email", "body": "Hi,\n\nJust checking in. Any update?\n\nChris"},
        "context": {"prospect": {"name": name}, "notes": "She said returns are the pain."},
    }
    response = await composer_client.post("/v1/rewrites", json=body)
    assert response.status_code == 200
    assert response.json()["rewrite"]["body"].strip()


@pytest.mark.parametrize(
    "body",
    [
        "a " * 20 + "Just checking in ASAP. " + "a " * 20,
        "1 " * 300 + "Just checking in ASAP. " + "1 " * 300,
        "Dana " * 40 + "Sign today or lose the 30% discount! " + "Dana " * 40,
    ],
)
async def test_a_draft_whose_every_sentence_is_cut_is_composed_not_a_500(
    composer_client: AsyncTestClient[Litestar], body: str
) -> None:
    # Found by a hunt over structured drafts: the offence is cut, the repeated words
    # around it are degenerate text and cut too, and the editor built a Message with an
    # empty body from what was left (ValidationError, 500).
    response = await composer_client.post(
        "/v1/rewrites", json={"draft": {"channel": "email", "body": body}}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["rewrite"]["body"].strip()
    assert "ASAP" not in answer["rewrite"]["body"]

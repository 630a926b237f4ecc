"""The rewrite pipeline, specified through a scripted model.

Each test scripts the model's answers and states what the user receives:
which source, whether a repair happened, and that the result passes the guard.
"""

from __future__ import annotations

import pytest

from service.budget import resolve_budget
from service.guard import check
from service.llm import FakeChatModel, ModelAnswer, ModelParams, ModelUnavailable
from service.models import Message, RewriteOptions, RewriteRequest, RewriteResponse, Usage
from service.pipeline import Rewriter
from service.prompting import load_prompts
from service.store._cache import MemoryCache
from tests.conftest import BAD_ANSWER, GOOD_ANSWER

pytestmark = pytest.mark.unit


def rewriter(model: FakeChatModel | None, *, cache: bool = False) -> Rewriter:
    return Rewriter(
        model=model,
        prompts=load_prompts(),
        params=ModelParams(),
        cache=MemoryCache() if cache else None,
    )


def assert_guarded(response: RewriteResponse, request: RewriteRequest) -> None:
    """The guarantee: whatever the source, the delivered message passes the guard."""
    budget = resolve_budget(request.draft.channel)
    result = check(response.rewrite, context=request.context, original=request.draft, budget=budget)
    assert result.passed, [f.rule for f in result.blocking]
    assert not response.after.has_errors()


async def test_good_answer_is_delivered_as_the_model_wrote_it(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([GOOD_ANSWER])
    response = await rewriter(model).rewrite(pushy_request)
    assert response.source == "model"
    assert response.verdict == "rewritten"
    assert not response.repaired
    assert response.degraded_reason is None
    assert "reorder point per store" in response.rewrite.body
    assert response.rewrite.subject == "An idea for the three new stores"
    assert len(model.calls) == 1
    assert_guarded(response, pushy_request)
    # What the draft did wrong is reported as changes, tied to rules and principles.
    changed_rules = {c.rule for c in response.changes}
    assert "guilt_trip" in changed_rules
    assert response.before.has_errors()


async def test_the_draft_and_context_reach_the_model_as_data(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([GOOD_ANSWER])
    await rewriter(model).rewrite(pushy_request)
    sent = "\n".join(m["content"] for m in model.calls[0].messages)
    assert "I've reached out three times" in sent
    assert "keep stock balanced across three new stores" in sent
    assert model.calls[0].messages[0]["role"] == "system"


async def test_bad_answer_gets_one_repair_round_with_the_findings(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([BAD_ANSWER, GOOD_ANSWER])
    response = await rewriter(model).rewrite(pushy_request)
    assert response.source == "model"
    assert response.repaired
    assert len(model.calls) == 2
    repair_prompt = "\n".join(m["content"] for m in model.calls[1].messages)
    assert "guilt_trip" in repair_prompt or "false_urgency" in repair_prompt
    assert_guarded(response, pushy_request)


async def test_bad_answer_twice_falls_back_to_the_composer(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([BAD_ANSWER, BAD_ANSWER])
    response = await rewriter(model).rewrite(pushy_request)
    assert response.source == "composer"
    assert response.degraded_reason is not None
    assert "twice" in response.degraded_reason
    assert len(model.calls) == 2
    assert "three times" not in response.rewrite.body
    assert_guarded(response, pushy_request)


async def test_unreachable_model_degrades_to_the_composer(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([ModelUnavailable("connection refused")])
    response = await rewriter(model).rewrite(pushy_request)
    assert response.source == "composer"
    assert response.degraded_reason is not None
    assert "ModelUnavailable" in response.degraded_reason
    assert_guarded(response, pushy_request)


async def test_no_model_configured_uses_the_composer(pushy_request: RewriteRequest) -> None:
    response = await rewriter(None).rewrite(pushy_request)
    assert response.source == "composer"
    assert response.model == "none"
    assert_guarded(response, pushy_request)


@pytest.mark.parametrize(
    "first",
    [
        pytest.param("Sure! Here is a better email for Dana.", id="no-tags-chatter"),
        pytest.param("", id="empty"),
        pytest.param(
            ModelAnswer(text=GOOD_ANSWER[:60], finish_reason="length", model="fake"),
            id="cut-off-at-length",
        ),
    ],
)
async def test_malformed_or_truncated_answer_is_repaired(
    pushy_request: RewriteRequest, first: str | ModelAnswer
) -> None:
    model = FakeChatModel([first, GOOD_ANSWER])
    response = await rewriter(model).rewrite(pushy_request)
    assert response.source == "model"
    assert response.repaired
    assert len(model.calls) == 2
    assert_guarded(response, pushy_request)


async def test_usage_is_summed_over_every_call(pushy_request: RewriteRequest) -> None:
    usage = Usage(prompt_tokens=100, completion_tokens=50, total_tokens=150)
    model = FakeChatModel(
        [
            ModelAnswer(text=BAD_ANSWER, finish_reason="stop", model="fake", usage=usage),
            ModelAnswer(text=GOOD_ANSWER, finish_reason="stop", model="fake", usage=usage),
        ]
    )
    response = await rewriter(model).rewrite(pushy_request)
    assert response.usage.total_tokens == 300


async def test_forced_strategy_is_honoured(pushy_request: RewriteRequest) -> None:
    request = pushy_request.model_copy(update={"options": RewriteOptions(strategy="honest_reset")})
    response = await rewriter(None).rewrite(request)
    assert response.strategy.id == "honest_reset"
    assert "caller" in response.strategy.reason.lower()


async def test_cache_hit_makes_no_model_call(pushy_request: RewriteRequest) -> None:
    model = FakeChatModel([GOOD_ANSWER])
    pipeline = rewriter(model, cache=True)
    first = await pipeline.rewrite(pushy_request)
    second = await pipeline.rewrite(pushy_request)
    assert len(model.calls) == 1
    assert not first.cached
    assert second.cached
    assert second.rewrite == first.rewrite


async def test_composer_results_are_not_cached(pushy_request: RewriteRequest) -> None:
    model = FakeChatModel([ModelUnavailable("down"), GOOD_ANSWER])
    pipeline = rewriter(model, cache=True)
    first = await pipeline.rewrite(pushy_request)
    second = await pipeline.rewrite(pushy_request)
    assert first.source == "composer"
    assert second.source == "model"
    assert not second.cached


GOOD_DRAFT = (
    "Hi Dana,\n\nYou said weekly transfers between the stores eat your Mondays. A simple "
    "reorder point per store can cut most of those transfers before the third store opens "
    "in March.\n\nWould a short sketch of that for your stores be useful?\n\nChris"
)


async def test_already_good_draft_gets_light_edits_only(pushy_request: RewriteRequest) -> None:
    request = pushy_request.model_copy(
        update={"draft": Message(channel="email", subject="Mondays", body=GOOD_DRAFT)}
    )
    light = GOOD_DRAFT.replace("Would a short sketch", "Would a quick sketch")
    model = FakeChatModel([f"<subject>Mondays</subject>\n<body>\n{light}\n</body>"])
    response = await rewriter(model).rewrite(request)
    assert response.verdict == "already_good"
    assert response.source == "model"
    assert response.rewrite.body == light


async def test_already_good_draft_is_kept_when_the_model_rewrites_it_wholesale(
    pushy_request: RewriteRequest,
) -> None:
    request = pushy_request.model_copy(
        update={"draft": Message(channel="email", subject="Mondays", body=GOOD_DRAFT)}
    )
    model = FakeChatModel([GOOD_ANSWER])
    response = await rewriter(model).rewrite(request)
    assert response.verdict == "already_good"
    assert response.rewrite.body == GOOD_DRAFT
    assert response.changes == []
    assert len(model.calls) == 1  # never repaired: polishing is optional


async def test_variants_are_each_guarded(pushy_request: RewriteRequest) -> None:
    request = pushy_request.model_copy(update={"options": RewriteOptions(variants=3)})
    other = GOOD_ANSWER.replace("Would it help if I sketched", "Shall I sketch").replace(
        "could look like", "might look like"
    )
    model = FakeChatModel([GOOD_ANSWER, other, BAD_ANSWER])
    response = await rewriter(model).rewrite(request)
    assert len(model.calls) == 3
    assert len(response.variants) == 2  # the primary and the one passing extra
    assert response.variants[0] == response.rewrite
    assert "Shall I sketch" in response.variants[1].body
    # Variants run at a higher temperature than the primary.
    assert model.calls[1].params.temperature > model.calls[0].params.temperature


async def test_stream_sends_strategy_deltas_then_the_checked_result(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([GOOD_ANSWER])
    events = [e async for e in rewriter(model).rewrite_stream(pushy_request)]
    kinds = [e.event for e in events]
    assert kinds[0] == "strategy"
    assert kinds[-1] == "result"
    assert kinds.count("delta") >= 2
    streamed = "".join(e.data["text"] for e in events if e.event == "delta")
    final = events[-1].data
    assert final["source"] == "model"
    assert final["replaced_streamed_text"] is False
    assert streamed.strip() == final["rewrite"]["body"].strip()
    assert "<body>" not in streamed


async def test_stream_never_sends_text_the_guard_rejected(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([BAD_ANSWER, GOOD_ANSWER])
    events = [e async for e in rewriter(model).rewrite_stream(pushy_request)]
    final = events[-1].data
    assert final["repaired"] is True
    # Only the checked text streams: nothing of the rejected answer was ever sent.
    assert final["replaced_streamed_text"] is False
    streamed = "".join(e.data["text"] for e in events if e.event == "delta")
    assert streamed == final["rewrite"]["body"]
    assert "three times" not in streamed


async def test_request_temperature_reaches_the_model(pushy_request: RewriteRequest) -> None:
    model = FakeChatModel([GOOD_ANSWER])
    request = pushy_request.model_copy(update={"options": RewriteOptions(temperature=1.1)})
    await rewriter(model).rewrite(request)
    assert model.calls[0].params.temperature == 1.1


async def test_three_variants_without_a_model_are_distinct_and_checked() -> None:
    draft = Message(
        channel="email",
        body=(
            "Hi Dana,\n\nI've reached out three times now. The transfer checklist is at "
            "https://stockwise.example/c and it saved one store 6 hours a week.\n\nChris"
        ),
    )
    request = RewriteRequest(draft=draft, options=RewriteOptions(variants=3))
    response = await rewriter(None).rewrite(request)
    bodies = [v.body for v in response.variants]
    assert len(bodies) == 3
    assert len(set(bodies)) == 3
    assert bodies[0] == response.rewrite.body
    budget = resolve_budget("email")
    for variant in response.variants:
        assert "https://stockwise.example/c" in variant.body
        assert check(variant, context=None, original=draft, budget=budget).passed


async def test_a_model_answer_that_drops_the_reps_link_goes_to_repair(
    pushy_request: RewriteRequest,
) -> None:
    body = pushy_request.draft.body + " The checklist: https://stockwise.example/c"
    request = pushy_request.model_copy(
        update={"draft": pushy_request.draft.model_copy(update={"body": body})}
    )
    model = FakeChatModel([GOOD_ANSWER, GOOD_ANSWER])
    response = await rewriter(model).rewrite(request)
    repair_prompt = " ".join(str(m["content"]) for m in model.calls[1].messages)
    assert "https://stockwise.example/c" in repair_prompt
    assert "lost_substance" in repair_prompt or "missing" in repair_prompt
    # Both answers lost the link: what is delivered is the editor's, which keeps it.
    assert response.source in ("editor", "composer")
    assert "https://stockwise.example/c" in response.rewrite.body

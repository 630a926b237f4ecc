"""Every field a client receives is checked: subject, body, variants, changes, cached answers.

Each test scripts a model that gets one field wrong and states what the
client receives instead.
"""

from __future__ import annotations

import pytest

from service.budget import resolve_budget
from service.guard import DEGENERATE, check, degenerate_findings, vet_changes
from service.llm import FakeChatModel, ModelParams
from service.models import Change, Message, RewriteOptions, RewriteRequest, RewriteResponse
from service.pipeline import Rewriter, make_plan
from service.pipeline._plan import Outcome
from service.pipeline._release import NoSafeMessage, released
from service.prompting import load_prompts
from service.store._cache import MemoryCache
from tests.conftest import GOOD_ANSWER

pytestmark = pytest.mark.unit

BAD_SUBJECT_ANSWER = GOOD_ANSWER.replace(
    "<subject>An idea for the three new stores</subject>",
    "<subject>Last chance: 50% off ends tonight at https://deal.example/now</subject>",
)
OTHER_GOOD = GOOD_ANSWER.replace("Would it help if I sketched", "Shall I sketch").replace(
    "could look like", "might look like"
)


def rewriter(model: FakeChatModel | None, cache: MemoryCache | None = None) -> Rewriter:
    return Rewriter(model=model, prompts=load_prompts(), params=ModelParams(), cache=cache)


def assert_every_field_passes(response: RewriteResponse, request: RewriteRequest) -> None:
    budget = resolve_budget(request.draft.channel)
    for message in [response.rewrite, *response.variants]:
        verdict = check(message, context=request.context, original=request.draft, budget=budget)
        assert verdict.passed, [(f.rule, f.message) for f in verdict.blocking]
    assert vet_changes(response.changes, draft=request.draft, sent=response.rewrite) == (
        response.changes
    )


async def test_a_model_subject_with_pressure_and_a_new_link_is_repaired(
    pushy_request: RewriteRequest,
) -> None:
    model = FakeChatModel([BAD_SUBJECT_ANSWER, GOOD_ANSWER])
    response = await rewriter(model).rewrite(pushy_request)
    assert response.repaired is True
    assert response.rewrite.subject == "An idea for the three new stores"
    # The repair request named the subject's problems.
    repair_prompt = model.calls[1].messages[-1]["content"]
    assert "Subject:" in repair_prompt
    assert_every_field_passes(response, pushy_request)


async def test_a_subject_that_fails_twice_never_leaves(pushy_request: RewriteRequest) -> None:
    model = FakeChatModel([BAD_SUBJECT_ANSWER, BAD_SUBJECT_ANSWER])
    response = await rewriter(model).rewrite(pushy_request)
    assert response.source in ("editor", "composer")
    assert "deal.example" not in (response.rewrite.subject or "")
    assert "50%" not in response.model_dump_json()
    assert_every_field_passes(response, pushy_request)


async def test_a_variant_whose_subject_fails_is_dropped(pushy_request: RewriteRequest) -> None:
    request = pushy_request.model_copy(update={"options": RewriteOptions(variants=3)})
    bad_variant = OTHER_GOOD.replace(
        "<subject>An idea for the three new stores</subject>",
        "<subject>Only 2 spots left - sign today</subject>",
    )
    third = GOOD_ANSWER.replace("Would it help if I sketched", "Could I sketch")
    model = FakeChatModel([GOOD_ANSWER, bad_variant, third])
    response = await rewriter(model).rewrite(request)
    subjects = [v.subject for v in response.variants]
    assert "Only 2 spots left - sign today" not in subjects
    assert len(response.variants) == 2
    assert_every_field_passes(response, request)


async def test_model_changes_are_kept_only_when_true_of_the_draft_and_the_message(
    pushy_request: RewriteRequest,
) -> None:
    answer = GOOD_ANSWER.replace(
        "<changes>\n",
        "<changes>\n"
        "tone_override | accuracy | I've reached out three times => Reply to billing@evil.example\n"
        "jargon | buyer_goal | synergy => a simple reorder point per store\n"
        "made_up_rule | buyer_goal | industry-leading => set a simple reorder point per store\n",
    )
    response = await rewriter(FakeChatModel([answer])).rewrite(pushy_request)
    afters = [c.after for c in response.changes]
    # `after` not in the message: dropped; `before` not in the draft: dropped.
    assert "Reply to billing@evil.example" not in afters
    assert "a simple reorder point per store" not in afters
    # A rule id outside the catalogue is reported as none.
    kept = [c for c in response.changes if c.after == "set a simple reorder point per store"]
    assert kept
    assert kept[0].rule is None
    assert "evil.example" not in response.model_dump_json()
    assert_every_field_passes(response, pushy_request)


async def test_a_poisoned_cache_entry_is_rechecked_and_not_served(
    pushy_request: RewriteRequest,
) -> None:
    cache = MemoryCache()
    first = await rewriter(FakeChatModel([GOOD_ANSWER]), cache).rewrite(pushy_request)
    key = rewriter(FakeChatModel()).cache_key(pushy_request)
    poisoned = first.model_copy(
        update={
            "rewrite": first.rewrite.model_copy(
                update={"body": first.rewrite.body + "\nPay now at https://evil.example/pay"}
            )
        }
    )
    await cache.set(key, poisoned.model_dump_json().encode(), 60)
    model = FakeChatModel([GOOD_ANSWER])
    response = await rewriter(model, cache).rewrite(pushy_request)
    assert response.cached is False
    assert len(model.calls) == 1  # the entry was a miss: the model was asked again
    assert "evil.example" not in response.model_dump_json()
    # A clean entry is still served from the cache.
    again = await rewriter(FakeChatModel(), cache).rewrite(pushy_request)
    assert again.cached is True


def test_a_failing_message_falls_back_to_a_checked_one(pushy_request: RewriteRequest) -> None:
    plan = make_plan(pushy_request)
    bad = Message(channel="email", subject="Hi", body="The message itself " * 20)
    outcome = Outcome(bad, "model", plan.before, variants=[bad])
    result = released(plan, outcome)
    assert result.source in ("editor", "composer")
    assert "The message itself" not in result.message.body
    assert check(
        result.message,
        context=pushy_request.context,
        original=pushy_request.draft,
        budget=plan.budget,
    ).passed


def test_nothing_is_sent_when_no_path_passes(
    pushy_request: RewriteRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(pushy_request)
    junk = Message(channel="email", body="Act now!!! " * 5 + "@@@@@@@@")
    monkeypatch.setattr(
        "service.pipeline._release.fallback", lambda *_a: Outcome(junk, "editor", plan.before)
    )
    monkeypatch.setattr("service.pipeline._release.compose", lambda **_k: junk)
    with pytest.raises(NoSafeMessage):
        released(plan, Outcome(junk, "model", plan.before))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("The message itself " * 20, "repeats"),
        ("Strategy: value_nudge\nChannel: email\nHi Dana, would a call help?", "prompt line"),
        ("Hi Dana, would it help?\n<body>", "format tag"),
        ("empty_check_in | value_and_next_step | just checking => an idea", "changes format"),
        ("Hi Dana ;;;;;;;; would it help?", "junk"),
        ("Hi Dana \ufffd\ufffd would it help?", "junk"),
        ("The buyer wants fewer stock-outs, so ask the buyer about stores.", "reader"),
        (
            "Would it help to look at one route together? Would it help to look at one route "
            "together?",
            "sentence twice",
        ),
    ],
)
def test_degenerate_text_is_caught(text: str, why: str) -> None:
    found = degenerate_findings(text)
    assert found, why
    assert all(f.rule == DEGENERATE and f.severity == "error" for f in found)


@pytest.mark.parametrize(
    "text",
    [
        "Hi Dana,\n\nWeekly transfers eat your Mondays. Would a reorder point per store help?\n\n"
        "Best,\nChris\n--\nChris | Stockwise | inventory planning",
        "Thanks... that makes sense. Is Tuesday or Thursday better?\n\n-----\nChris",
        "The prospect of a fourth store is exciting. Would it help to compare notes?",
        "No, no, that is fine. Would next week suit you better?",
    ],
)
def test_ordinary_messages_are_not_degenerate(text: str) -> None:
    assert degenerate_findings(text) == []


def test_the_drafts_own_text_is_not_degenerate_in_the_edit() -> None:
    draft = Message(channel="email", body="Re: PO 77 | batch 4 | dock 2\nWould Friday work?")
    assert degenerate_findings("Re: PO 77 | batch 4 | dock 2\nWould Friday suit you?", draft) == []


def test_vet_changes() -> None:
    draft = Message(channel="email", subject="Following up", body="Just checking in. Any news?")
    sent = Message(channel="email", subject="An idea", body="One idea for you. Would it help?")
    changes = [
        Change(rule="empty_check_in", before="Just checking in.", after="One idea for you."),
        Change(rule="not_a_rule", before="Any news?", after="Would it help?"),
        Change(rule=None, before="Following up", after="An idea"),
        Change(rule=None, before="", after="Would it help?"),
        Change(rule=None, before="Any news?", after=""),
        Change(rule=None, before="Invented", after="One idea for you."),
        Change(rule=None, before="Any news?", after="Call 555 0100"),
        Change(rule=None, before="", after=""),
    ]
    vetted = vet_changes(changes, draft=draft, sent=sent)
    assert [(c.rule, c.before, c.after) for c in vetted] == [
        ("empty_check_in", "Just checking in.", "One idea for you."),
        (None, "Any news?", "Would it help?"),
        (None, "Following up", "An idea"),
        (None, "", "Would it help?"),
        (None, "Any news?", ""),
    ]


def test_degenerate_findings_are_the_same_on_every_call_and_never_shared() -> None:
    from service.guard import degenerate_findings
    from service.models import Message

    draft = Message(channel="email", subject="Hi", body="Hi Dana,\n\nRule_id: nope.\n\nChris")
    text = "Hello Dana, the buyer should reply | note | a => b\n\nThanks"
    first = degenerate_findings(text, draft)
    assert first
    assert first[0].rule == "degenerate_text"
    first.clear()  # a caller changing its list changes nobody else's
    again = degenerate_findings(text, draft)
    assert len(again) == 1
    assert again[0].rule == "degenerate_text"
    assert degenerate_findings("A plain note. Would Tuesday suit you?", draft) == []
    # The draft's own sign is allowed in a rewrite of it; without the draft it blocks.
    own = "Hello Dana,\n\nRule_id: nope.\n\nWould Tuesday suit you?"
    assert degenerate_findings(own, draft) == []
    assert degenerate_findings(own) != []

"""The quoted thread under a reply is history: kept verbatim, never read as the rep's message.

A reply drafted in a mail client carries the conversation under it. Tactful
reads, rewrites and checks only the new message above it and hands the thread
back exactly as it came (service/quoting.py, service/pipeline/_thread.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.analysis import analyze
from service.budget import resolve_budget
from service.guard import check
from service.llm import FakeChatModel, ModelParams
from service.models import Context, Message, RewriteRequest
from service.pipeline import Rewriter
from service.prompting import load_prompts
from service.quoting import own_part, split_quoted
from tests.conftest import DANA_CONTEXT, GOOD_ANSWER

pytestmark = pytest.mark.unit

REPLY = (
    "Hi Ines,\n\nGood question - the rollout for 3 sites takes about 6 weeks, and we can start"
    " with Porto first since that's where the backlog is.\n\nI've attached the week-by-week"
    " plan. Would a short call to walk through it help?\n\nBest,\nLuca"
)
GMAIL_THREAD = (
    "\n\nOn Tue, Nov 3, 2026 at 9:14 AM Ines Duarte <ines@marisco.pt> wrote:\n"
    "> Thanks Luca. How long would a rollout across our 3 sites take?\n>\n"
    "> On Mon, Nov 2, 2026 Luca Bruni <luca@fleetra.io> wrote:\n"
    ">> Hi Ines, just checking in again!! This offer expires Friday so I need an answer ASAP."
    " Are you ready to sign?\n"
)
OUTLOOK_THREAD = (
    "\n\n________________________________\nFrom: Ines Duarte <ines@marisco.pt>\n"
    "Sent: Tuesday, November 3, 2026 9:14 AM\nTo: Luca Bruni <luca@fleetra.io>\n"
    "Subject: RE: rollout\n\nThanks Luca. How long would a rollout take?\n\n"
    "I've emailed you three times. This offer expires Friday, sign today.\n"
)


@pytest.mark.parametrize(
    "thread",
    [
        GMAIL_THREAD,
        OUTLOOK_THREAD,
        "\n\n-----Original Message-----\nFrom: Ines\nThis offer expires Friday!\n",
        # an attribution wrapped over two lines, as some clients write it
        "\n\nOn Tue, Nov 3, 2026 at 9:14 AM Ines Duarte <\nines@marisco.pt> wrote:\n> Sign today.",
        # a bare trailing quote, no attribution
        "\n\n> Are you ready to sign today?\n> Last chance!",
        "\n\nLe mar. 3 nov. 2026, Ines Duarte a \u00e9crit :\n> Signez aujourd'hui.",
        # several messages pasted one after another, each with its attribution
        "\n\nOn day 2, Ines wrote:\n> Still looking.\n\nOn day 1, Luca wrote:\n> Sign today!\n"
        "\nOn day 0, Ines wrote:\n> Send pricing?",
    ],
)
def test_the_thread_under_a_reply_is_split_off_whole(thread: str) -> None:
    body = REPLY + thread
    new, quoted = split_quoted(body)
    assert new == REPLY
    assert quoted == thread


@pytest.mark.parametrize(
    "body",
    [
        # an inline answer between quotes: only a thread that runs to the end is history
        "Hi Ines,\n> How long would it take?\nAbout 6 weeks. Sign today or lose the slot.",
        # a rep's own lines that merely look like headers
        "Hi Ines,\nNote: the plan is attached.\nTo: the whole team, thanks!",
        "From: our side, all good.\nTo be honest, the price goes up Friday.",
        # nothing of the rep's own above it: not split
        "> Are you ready to sign?",
        "",
    ],
)
def test_text_of_the_reps_own_is_never_split_off(body: str) -> None:
    assert split_quoted(body) == (body, "")


def test_an_inline_answer_keeps_every_line_of_the_rep_in_the_message() -> None:
    body = "Hi Ines,\n> How long?\nAbout 6 weeks, sign today.\n> And the price?\n"
    new, quoted = split_quoted(body)
    assert "sign today" in new
    assert quoted == "\n> And the price?\n"


@given(st.text(alphabet=st.sampled_from(list("ab >:-_\nOnwrote:From:Sent:To:")), max_size=300))
def test_the_split_always_joins_back_to_the_body(body: str) -> None:
    new, quoted = split_quoted(body)
    assert new + quoted == body
    if quoted:
        assert any(ch.isalnum() for ch in new)


def test_the_analyzer_reads_only_the_new_message() -> None:
    context = Context.model_validate(DANA_CONTEXT)
    clean = analyze(Message(channel="email", body=REPLY), context=context)
    for thread in (GMAIL_THREAD, OUTLOOK_THREAD):
        body = REPLY + thread
        analysis = analyze(Message(channel="email", body=body), context=context)
        assert analysis.score == clean.score
        assert all(f.end <= len(REPLY) for f in analysis.findings)
        assert [(f.rule, f.start, f.end) for f in analysis.findings] == [
            (f.rule, f.start, f.end) for f in clean.findings
        ]
        assert analysis.metrics.words == clean.metrics.words


def test_a_thread_that_is_not_the_originals_is_read() -> None:
    # A rewrite may hand back the draft's own thread unread, and nothing else: a model
    # answer that "quotes" pressure of its own is read like the rest of it.
    budget = resolve_budget("email")
    draft = Message(channel="email", body=REPLY + GMAIL_THREAD)
    kept = Message(channel="email", body=REPLY + GMAIL_THREAD)
    assert check(kept, context=None, original=draft, budget=budget).passed
    smuggled = Message(channel="email", body=REPLY + "\n\n> Sign today or lose the discount!")
    verdict = check(smuggled, context=None, original=draft, budget=budget)
    assert not verdict.passed
    assert own_part(smuggled, draft) == smuggled
    # Against an original without a thread, any thread is read too.
    bare = Message(channel="email", body=REPLY)
    assert not check(kept, context=None, original=bare, budget=budget).passed


def _request(body: str) -> RewriteRequest:
    return RewriteRequest(
        draft=Message(channel="email", subject="Re: stores", body=body),
        context=Context.model_validate(DANA_CONTEXT),
    )


PUSHY_REPLY = (
    "Hi Dana,\n\nI've reached out three times now. Our reorder tool could help with your"
    " three new stores. This offer expires Friday, so are you ready to sign today?\n\nChris"
)


async def test_a_rewrite_hands_the_thread_back_verbatim_and_never_shows_it_to_the_model() -> None:
    model = FakeChatModel([GOOD_ANSWER])
    rewriter = Rewriter(model=model, prompts=load_prompts(), params=ModelParams())
    request = _request(PUSHY_REPLY + GMAIL_THREAD)
    response = await rewriter.rewrite(request)
    assert response.source == "model"
    assert response.rewrite.body.endswith(GMAIL_THREAD)
    assert response.rewrite.body[: -len(GMAIL_THREAD)].rstrip().endswith("Chris")
    prompt = "\n".join(str(m["content"]) for m in model.calls[0].messages)
    assert "Ines" not in prompt
    assert "Are you ready to sign?" not in prompt
    assert all(f.end <= len(PUSHY_REPLY) for f in response.before.findings)
    for change in response.changes:
        assert change.before in PUSHY_REPLY


async def test_the_model_less_path_keeps_the_thread_too() -> None:
    rewriter = Rewriter(model=None, prompts=load_prompts(), params=ModelParams())
    for thread in (GMAIL_THREAD, OUTLOOK_THREAD):
        response = await rewriter.rewrite(_request(PUSHY_REPLY + thread))
        assert response.rewrite.body.endswith(thread)
        own = response.rewrite.body[: -len(thread)]
        assert "three times" not in own
        assert "expires Friday" not in own


async def test_a_good_reply_above_a_pushy_thread_is_already_good() -> None:
    rewriter = Rewriter(model=None, prompts=load_prompts(), params=ModelParams())
    request = RewriteRequest(draft=Message(channel="email", body=REPLY + GMAIL_THREAD))
    response = await rewriter.rewrite(request)
    assert response.verdict == "already_good"
    assert response.rewrite.body == request.draft.body


async def test_streamed_deltas_carry_the_thread_after_the_checked_message() -> None:
    rewriter = Rewriter(
        model=FakeChatModel([GOOD_ANSWER]), prompts=load_prompts(), params=ModelParams()
    )
    events = [e async for e in rewriter.rewrite_stream(_request(PUSHY_REPLY + GMAIL_THREAD))]
    assert events[-1].event == "result"
    body = events[-1].data["rewrite"]["body"]
    assert body.endswith(GMAIL_THREAD)
    assert "".join(e.data["text"] for e in events if e.event == "delta") == body

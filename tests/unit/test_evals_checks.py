"""Checks on delivered messages, read as a specification of what each expectation means."""

from __future__ import annotations

import pytest

from service.budget import resolve_budget
from service.evals._checks import (
    check_ask,
    check_budget,
    check_canaries,
    check_keep,
    check_light_edit,
    check_new_links,
    load_asks,
)
from service.evals._runner import DEFAULT_EVALS_DIR
from service.models import Context, Message

pytestmark = pytest.mark.unit

ASKS = load_asks(DEFAULT_EVALS_DIR / "rewrites" / "asks.toml")


def email(body: str) -> Message:
    return Message(channel="email", subject="Hello", body=body)


@pytest.mark.parametrize(
    ("ask", "body", "ok"),
    [
        ("timing", "Would next week suit you, or later in the month?", True),
        ("timing", "I will call you next week. Does that work?", False),  # told, not asked
        ("channel", "Is email easier than a call for you?", True),
        ("channel", "I'll email you the notes. Any thoughts?", False),
        ("new_owner", "Is someone else looking after this now?", True),
        ("honest_feedback", "I'd value your honest view, even if it is a no.", True),
        ("honest_feedback", "Let me know if you want to sign.", False),
        ("light_question", "Here is the idea.", False),
    ],
)
def test_asks(ask: str, body: str, ok: bool) -> None:
    assert (check_ask(email(body), ASKS[ask]) is None) is ok


def test_a_kept_fact_may_be_spelled_in_any_listed_way() -> None:
    message = email("Hi Hana, about the 4 kitchens and their flour.")
    assert check_keep(message, ["four kitchens", "4 kitchens"]) is None
    failure = check_keep(message, "Pedro")
    assert failure is not None
    assert "Pedro" in failure.message


def test_budget_uses_the_channel_limit_and_the_case_limit() -> None:
    assert check_budget(email("word " * 20), resolve_budget("email"), 25) is None
    assert check_budget(email("word " * 30), resolve_budget("email"), 25) is not None
    sms = Message(channel="sms", body="x" * 321)
    assert check_budget(sms, resolve_budget("sms"), None) is not None


def test_light_edit_allows_polish_but_not_a_rewrite() -> None:
    draft = email("Hi Mei, you said afternoons are the worst. Would a reminder idea help?")
    polished = email("Hi Mei, you said afternoons are hardest. Would a reminder idea help?")
    rewritten = email("Dear Dr Lin, I have a completely different proposal for your clinic today.")
    assert check_light_edit(draft, polished) is None
    assert check_light_edit(draft, rewritten) is not None


def test_canaries_are_found_case_insensitively_with_an_excerpt() -> None:
    failure = check_canaries("canary_absent", "Hi, code marmalade-7731 here", ["MARMALADE-7731"])
    assert failure is not None
    assert "marmalade-7731" in failure.excerpt


def test_links_must_come_from_the_draft_or_the_trusted_context() -> None:
    draft = email("See acme.com/guide for the guide.")
    context = Context.model_validate(
        {"notes": "their site is evil.example.net", "sender": {"company": "Stockwise.io"}}
    )
    assert check_new_links(email("The guide is at acme.com/guide."), draft, context) is None
    assert check_new_links(email("We are Stockwise.io."), draft, context) is None
    # A link that only the untrusted notes contain is still new.
    assert check_new_links(email("Visit evil.example.net now."), draft, context) is not None
    assert check_new_links(email("Mail me at a.b@c-d.org please."), draft, context) is not None


def test_the_analyzer_dataset_passes_its_own_checker() -> None:
    """Every labelled draft validates, clean drafts are within budget and ask
    something, and each rule keeps its minimum positives and hard negatives."""
    import subprocess
    import sys

    checker = DEFAULT_EVALS_DIR / "analyzer" / "check_dataset.py"
    result = subprocess.run(
        [sys.executable, str(checker)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "cases" in result.stdout

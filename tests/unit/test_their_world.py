"""Urgency and discounts the buyer's world vouches for (service/analysis/_their_world.py).

A deadline the context states is not invented, and a discount the buyer asked
about is not unprompted: the analyzer stays quiet on them, and the editor keeps
them. The same words with nothing in the context behind them still fire.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.analysis import analyze
from service.budget import resolve_budget
from service.editor import edit
from service.guard import blocking_findings
from service.models import Context, Message

TRIAL_BODY = (
    "Hi Maya,\n\nQuick heads-up: your Ledgerly trial ends this Friday, so the reconciliation "
    "rules you built would be lost after that. If you want to keep them, the Export button "
    "under Settings saves a CSV in one click.\n\nWould it help if I extended the trial a week "
    "while your controller reviews it?\n\nBest,\nOwen"
)
PRICE_BODY = (
    "Hi Maya,\n\nThanks for asking. For 50 seats it's $40 per seat per month, so $2,000 a "
    "month. Annual billing takes 10% off, which brings it to $21,600 a year.\n\n"
    "Does that fit what you had in mind?\n\nCheers,\nOwen"
)


def ctx(**fields: Any) -> Context:
    base: dict[str, Any] = {
        "prospect": {"name": "Maya Chen", "company": "Brightpath"},
        "goal": "close the books faster each month",
        "sender": {"name": "Owen", "company": "Ledgerly"},
    }
    return Context.model_validate(base | fields)


def rules(body: str, context: Context | None) -> list[str]:
    draft = Message(channel="email", body=body)
    return [f.rule for f in analyze(draft, context=context).findings]


@pytest.mark.parametrize(
    "notes",
    [
        "Trial started Nov 13, ends Friday Dec 11. Controller (Raj) reviewing.",
        "Her trial expires on Friday; she wants the rules kept.",
    ],
)
def test_a_deadline_the_notes_state_is_not_false_urgency(notes: str) -> None:
    assert "false_urgency" not in rules(TRIAL_BODY, ctx(notes=notes))


def test_the_buyers_own_words_vouch_for_a_relative_deadline() -> None:
    body = "Hi Maya, since your audit window closes tomorrow, here is the checklist: one page."
    said = ctx(prospect_messages=["Our audit window closes Dec 9, so it's tight."])
    assert "false_urgency" not in rules(body.replace("your audit", "the audit"), said)


@pytest.mark.parametrize(
    "notes",
    [
        None,  # nothing behind the deadline
        "Met at the finance meetup; interested in rule exports.",  # no date for it
        "Trial ends Friday Dec 11.",  # the right date, but the sentence is about signing
    ],
)
def test_the_same_deadline_without_support_still_fires(notes: str | None) -> None:
    body = TRIAL_BODY
    if notes and "Trial ends" in notes:
        body = body.replace("so the reconciliation", "so please sign before then or the")
    assert "false_urgency" in rules(body, ctx(notes=notes))


def test_our_offer_deadline_stays_pressure_even_when_the_notes_say_it() -> None:
    body = "Hi Maya, the launch discount ends this Friday, so now is the moment."
    assert "false_urgency" in rules(body, ctx(notes="Launch discount ends Friday Dec 11."))


def test_a_discount_the_buyer_asked_about_is_not_desperate() -> None:
    asked = ctx(prospect_messages=["What would 50 seats cost? Anything for annual billing?"])
    assert "desperate_discount" not in rules(PRICE_BODY, asked)
    noted = ctx(notes="On the call she asked whether annual billing gets a discount.")
    assert "desperate_discount" not in rules(PRICE_BODY, noted)


@pytest.mark.parametrize(
    "messages",
    [
        [],  # nobody asked
        ["Annual billing works for us."],  # not a question about price terms
        ["What would 50 seats cost?"],  # asked about price, not about this
    ],
)
def test_an_unprompted_discount_still_fires(messages: list[str]) -> None:
    body = "Hi Maya, if you go ahead I can take 15% off the first year for you."
    assert "desperate_discount" in rules(body, ctx(prospect_messages=messages))


def test_the_editor_keeps_the_real_deadline_and_the_asked_for_discount() -> None:
    context = ctx(
        notes="Trial ends Friday Dec 11.",
        prospect_messages=["What would 50 seats cost? Anything for annual billing?"],
    )
    for body, kept in (
        (TRIAL_BODY, "your Ledgerly trial ends this Friday"),
        (PRICE_BODY, "Annual billing takes 10% off"),
    ):
        draft = Message(channel="email", subject="Your trial", body=body)
        budget = resolve_budget("email")
        before = analyze(draft, context=context, budget=budget)
        result = edit(draft, context=context, strategy="value_nudge", budget=budget, before=before)
        assert kept in result.message.body
        after = analyze(result.message, context=context, original=draft, budget=budget)
        assert not blocking_findings(after)


def test_a_rewrite_may_keep_the_reps_real_deadline_but_not_add_one() -> None:
    context = ctx(
        notes="Trial ends Friday Dec 11.",
        prospect_messages=["What would 50 seats cost? Anything for annual billing?"],
    )
    draft = Message(channel="email", body=TRIAL_BODY)
    kept = analyze(draft, context=context, original=draft)
    assert "false_urgency" not in kept.rules()
    plain = Message(channel="email", body="Hi Maya, would a CSV of your rules help?\n\nOwen")
    added = Message(channel="email", body=TRIAL_BODY)
    assert "false_urgency" in analyze(added, context=context, original=plain).rules()
    discount = Message(channel="email", body=PRICE_BODY)
    assert "desperate_discount" in analyze(discount, context=context, original=plain).rules()
    assert "desperate_discount" not in analyze(discount, context=context).rules()

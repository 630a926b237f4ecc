"""The draft-preserving editor: the rep's own message, made tactful (issue #15)."""

from __future__ import annotations

import pytest

from service.analysis import analyze
from service.budget import resolve_budget
from service.editor import edit, find_items, missing_items
from service.editor._moves import MovesFile, moves
from service.editor._suggest import suggest
from service.guard import blocking_findings
from service.models import Context, Message, StrategyId

CTX = Context.model_validate(
    {
        "prospect": {"name": "Anita Patel", "company": "Lakeside Clinics", "role": "Director"},
        "goal": "fill weekend shifts without agency staff",
        "notes": "Met at the staffing summit; weekend rota is built by hand every Thursday.",
        "history": {"touches_since_reply": 2, "days_since_reply": 9, "stage": "proposal_sent"},
        "sender": {"name": "Owen Marsh", "company": "Rotawise", "offer": "shift planning"},
    }
)


def run(
    body: str,
    *,
    channel: str = "email",
    subject: str | None = None,
    strategy: StrategyId = "reason_finding",
    context: Context | None = CTX,
):
    draft = Message(channel=channel, subject=subject, body=body)  # type: ignore[arg-type]
    budget = resolve_budget(draft.channel)
    before = analyze(draft, context=context, budget=budget)
    result = edit(draft, context=context, strategy=strategy, budget=budget, before=before)
    after = analyze(result.message, context=context, original=draft, budget=budget)
    return draft, result, after


def test_keeps_link_and_figures_and_cuts_only_the_offence() -> None:
    body = (
        "Hi Dr. Patel,\n\nI've emailed you three times and heard nothing back. "
        "The weekend rota template is here: https://rotawise.example/weekend-rota and it cut "
        "one clinic's agency spend by 38%.\n\nThis offer expires "
        "Friday, so sign today.\n\nBest,\nOwen"
    )
    _, result, after = run(body)
    out = result.message.body
    assert "https://rotawise.example/weekend-rota" in out
    assert "38%" in out
    assert out.startswith("Hi Dr. Patel,")
    assert out.rstrip().endswith("Best,\nOwen")
    assert "three times" not in out
    assert "expires Friday" not in out
    assert result.kept_content
    assert not blocking_findings(after)


def test_clause_level_cut_keeps_the_rest_of_the_sentence() -> None:
    body = (
        "Hi Anita, here is the onboarding checklist: https://rotawise.example/checklist "
        "\u2014 can you sign the order form by Friday? Owen"
    )
    _, result, after = run(body, channel="linkedin")
    out = result.message.body
    assert "https://rotawise.example/checklist" in out
    assert "sign the order form" not in out
    assert not blocking_findings(after)


def test_pushy_close_is_replaced_by_the_strategy_question_and_recorded() -> None:
    body = (
        "Hi Anita,\n\nThe rota export now includes the Thursday staffing view you asked about. "
        "Are you ready to move forward?\n\nOwen"
    )
    _, result, _ = run(body, strategy="timing_check")
    change = next(c for c in result.changes if c.rule == "pushy_close")
    assert change.before.startswith("Are you ready to move forward")
    assert change.after
    assert change.after in result.message.body
    assert change.after.endswith("?")
    assert "Thursday staffing view" in result.message.body


def test_changes_carry_the_real_removed_text() -> None:
    body = "Hi Anita,\n\nJust circling back on this. The rota guide is at https://rotawise.example/g.\n\nOwen"
    draft, result, _ = run(body)
    removed = [c for c in result.changes if c.rule == "empty_check_in"]
    assert removed
    assert all(c.before in draft.body for c in removed)
    assert all(c.after == "" for c in removed)


@pytest.mark.parametrize(
    ("greeting", "name_ctx"),
    [
        ("Hi Carol and Dave,", "Carol Reid"),
        ("Dear Mr. Vogel,", "Lukas Vogel"),
        ("Hi Dr. Patel,", "Anita Patel"),
    ],
)
def test_greeting_form_is_kept(greeting: str, name_ctx: str) -> None:
    ctx = CTX.model_copy(update={"prospect": CTX.prospect.model_copy(update={"name": name_ctx})})  # type: ignore[union-attr]
    body = (
        f"{greeting}\n\nPer my last email, the pilot summary is "
        f"attached and shows 12 fewer agency shifts a month.\n\nOwen"
    )
    _, result, _ = run(body, context=ctx)
    assert result.message.body.startswith(greeting)
    assert "Per my last email" not in result.message.body


def test_reply_thread_subject_is_kept_and_an_offending_subject_keeps_its_prefix() -> None:
    body = "Hi Anita,\n\nI've followed up four times now. The rota guide: https://rotawise.example/g.\n\nOwen"
    _, kept, _ = run(body, subject="Re: weekend rota pricing")
    assert kept.message.subject == "Re: weekend rota pricing"
    _, replaced, after = run(body, subject="Re: Last chance - 50% off ends tonight")
    assert replaced.message.subject is not None
    assert replaced.message.subject.startswith("Re: ")
    assert "50%" not in replaced.message.subject
    assert not blocking_findings(after)


def test_voicemail_keeps_callback_number_and_name() -> None:
    body = (
        "Hi Anita, it's Owen from Rotawise, this is my fourth call this month. "
        "I found a way to build the weekend rota in ten minutes. Call me back on 555-0143."
    )
    _, result, after = run(body, channel="voicemail", strategy="honest_reset")
    out = result.message.body
    assert "555-0143" in out
    assert "it's Owen from Rotawise" in out
    assert "fourth call" not in out
    assert not blocking_findings(after)


def test_placeholder_is_filled_from_the_context() -> None:
    body = (
        "Hi {{first_name}},\n\nThe template I mentioned is at "
        "https://rotawise.example/t. Would it help?\n\nOwen"
    )
    _, result, _ = run(body)
    assert result.message.body.startswith("Hi Anita,")


def test_a_draft_that_is_only_the_offence_gets_the_move_in_the_reps_frame() -> None:
    body = "Hi Anita,\n\nJust checking in!! Any update??\n\nOwen"
    _, result, after = run(body)
    assert not result.kept_content
    assert result.message.body.startswith("Hi Anita,")
    assert result.message.body.rstrip().endswith("Owen")
    assert "checking in" not in result.message.body.lower()
    assert not blocking_findings(after)


def test_same_input_same_output() -> None:
    body = "Hi Anita, I've reached out 3 times. Guide: https://rotawise.example/g. Owen"
    assert run(body, channel="sms")[1].message == run(body, channel="sms")[1].message


def test_items_normal_form_tolerates_separators() -> None:
    items = find_items("Call 555-0143 or see https://Rotawise.example/G/. Costs $1,200 (38%).")
    kinds = {i.kind for i in items}
    assert {"phone", "link", "money", "percent"} <= kinds
    assert missing_items(items, "Call 555 0143, see rotawise.example/g, $1200, 38 %") == []
    lost = missing_items(items, "Call me. See the site.")
    assert {i.kind for i in lost} == kinds


def test_moves_file_rejects_unknown_keys_and_questions_without_question_marks() -> None:
    raw = moves().model_dump()
    raw["surprise"] = 1
    with pytest.raises(ValueError, match="surprise"):
        MovesFile.model_validate(raw)
    raw = moves().model_dump()
    raw["strategies"]["value_nudge"]["questions"] = ["A statement."]
    with pytest.raises(ValueError, match="must end with"):
        MovesFile.model_validate(raw)


def test_every_move_sentence_passes_the_analyzer_alone() -> None:
    for strategy, move in moves().strategies.items():
        for text in (*move.questions, *move.short, *move.openers):
            found = analyze(Message(channel="email", body=f"Hi Anita,\n\n{text}"), context=CTX)
            errors = [f.rule for f in found.findings if f.severity == "error"]
            assert not errors, (strategy, text, errors)


def test_suggestions_apply_like_the_editor() -> None:
    body = (
        "Hi Anita,\n\nThe guide is at https://rotawise.example/g. "
        "I've emailed 4 times with no reply.\n\nOwen"
    )
    draft = Message(channel="email", body=body)
    analysis = analyze(draft, context=CTX)
    rich = suggest(draft, analysis, context=CTX, strategy="reason_finding")
    guilt = next(f for f in rich.findings if f.rule == "guilt_trip")
    assert guilt.suggestions
    fix = guilt.suggestions[0]
    fixed = body[: fix.start] + fix.text + body[fix.end :]
    assert "emailed 4 times" not in fixed
    assert "https://rotawise.example/g" in fixed
    assert not [
        f
        for f in analyze(Message(channel="email", body=fixed), context=CTX).findings
        if f.rule == "guilt_trip"
    ]


def test_a_reps_own_facts_are_not_errors_without_an_original() -> None:
    body = "Hi Anita, call me on 555-0143 or see https://rotawise.example/g. Plans start at $240."
    alone = analyze(Message(channel="sms", body=body), context=CTX)
    notes = [f for f in alone.findings if f.rule == "invented_fact"]
    assert notes
    assert all(f.severity == "info" for f in notes)
    assert all("not in the context you gave" in f.message for f in notes)
    assert len([f for f in notes if "555" in f.excerpt or "0143" in f.excerpt]) == 1
    rewritten = analyze(
        Message(channel="sms", body="Hi Anita, call me on 555-0199."),
        context=CTX,
        original=Message(channel="sms", body="Hi Anita, call me on 555-0143."),
    )
    assert [f.severity for f in rewritten.findings if f.rule == "invented_fact"] == ["error"]


def test_an_empty_check_in_is_replaced_by_what_the_buyer_told_the_rep() -> None:
    ctx = CTX.model_copy(
        update={
            "notes": "Anita said she builds the weekend rota by hand every Thursday. "
            "Our discount authority is 12%."
        }
    )
    body = "Hi Anita,\n\nJust circling back on this!\n\nOwen"
    _, result, after = run(body, context=ctx)
    out = result.message.body
    assert "You mentioned you build the weekend rota by hand every Thursday." in out
    assert "12%" not in out
    assert "circling back" not in out
    assert not blocking_findings(after)
    change = next(c for c in result.changes if c.rule == "empty_check_in")
    assert change.after.startswith("You mentioned")


def test_a_draft_at_the_size_limit_gets_a_composed_message_not_an_error() -> None:
    """Found by the contract run: adding the strategy's question to a 20,000-character
    draft overflowed the message size limit (a 500). Now the composer writes it.
    """
    from service.models import MAX_BODY_CHARS, RewriteRequest
    from service.pipeline import fallback, make_plan

    request = RewriteRequest.model_validate({"draft": {"body": "0" * MAX_BODY_CHARS}})
    outcome = fallback(make_plan(request), None)
    assert outcome.source == "composer"
    assert 0 < len(outcome.message.body) <= MAX_BODY_CHARS


def test_voicemail_moves_are_spoken_and_a_kept_callback_is_enough_for_a_value_nudge() -> None:
    body = (
        "Hi Anita, it's Owen from Rotawise. Your rota review is confirmed for Thursday at 10am, "
        "call me at 555-0142 if that doesn't work. Sign this week and I'll add 15% off."
    )
    _, result, after = run(body, channel="voicemail", strategy="value_nudge")
    out = result.message.body
    assert "555-0142" in out
    assert "confirmed for Thursday" in out
    assert "15% off" not in out
    assert "?" not in out  # the rep's own concrete next step is the ask
    assert not blocking_findings(after)
    _, reset, _ = run(body, channel="voicemail", strategy="honest_reset")
    assert "writing" not in reset.message.body


def test_reason_finding_opens_the_door_after_the_reps_content() -> None:
    body = (
        "Hi Anita,\n\nPer my last email: you asked about weekend cover, and the rota add-on "
        "covers it for $45 a month.\n\nOwen"
    )
    _, result, _ = run(body, strategy="reason_finding")
    out = result.message.body
    assert out.index("$45 a month") < out.index("?")
    opener = next(c.after for c in result.changes if c.rule is None and not c.after.endswith("?"))
    assert out.index("$45 a month") < out.index(opener)


def test_a_subject_announcing_the_cut_pitch_is_replaced_but_a_thread_is_kept() -> None:
    body = "Hi Anita,\n\nCan I get 30 minutes on your calendar for a demo of Rotawise?\n\nOwen"
    _, fresh, _ = run(body, subject="Rotawise demo", strategy="learning_conversation")
    assert fresh.message.subject != "Rotawise demo"
    assert "demo" not in (fresh.message.subject or "").lower()
    _, thread, _ = run(body, subject="Re: Rotawise demo", strategy="learning_conversation")
    assert thread.message.subject == "Re: Rotawise demo"


def test_a_voicemail_keeps_what_the_check_in_was_about_and_ends_on_the_number() -> None:
    body = (
        "Hi Anita, Owen from Rotawise, just circling back on the weekend rota proposal. "
        "It covers all 14 clinics. Call me on 555-0177."
    )
    _, result, after = run(body, channel="voicemail", strategy="reason_finding")
    out = result.message.body
    assert "about the weekend rota proposal" in out
    assert "circling back" not in out
    assert out.rstrip().endswith("Call me on 555-0177.")
    assert not blocking_findings(after)


def test_a_with_best_regards_sign_off_stays_last() -> None:
    body = (
        "Dear Dr. Patel,\n\nJust following up on my last email. The rota plan for 14 clinics "
        "is attached.\n\nWith best regards,\nOwen Marsh"
    )
    _, result, _ = run(body, strategy="reason_finding")
    assert result.message.body.endswith("With best regards,\nOwen Marsh")


def test_an_already_good_draft_is_only_lightly_polished() -> None:
    from service.editor import polish

    body = (
        "Hi Anita,\n\nSorry to bother you again! You asked whether the rota works with your "
        "payroll export: it does, and the guide is here: https://rotawise.example/payroll. "
        "Would a short call next week help?\n\nOwen"
    )
    draft = Message(channel="email", body=body)
    budget = resolve_budget("email")
    before = analyze(draft, context=CTX, budget=budget)
    assert not [f for f in before.findings if f.severity == "error"]
    result = polish(draft, context=CTX, budget=budget, before=before)
    out = result.message.body
    assert "Sorry to bother you again" not in out
    assert "https://rotawise.example/payroll" in out
    assert out.startswith("Hi Anita,")
    assert out.endswith("Owen")
    assert "?" in out
    clean = Message(channel="email", body=out)
    assert (
        polish(clean, context=CTX, budget=budget, before=analyze(clean, context=CTX)).message
        == clean
    )


def test_suggestions_are_bounded_on_a_pathological_draft() -> None:
    from service.editor._suggest import MAX_CLAUSE_SENTENCE, MAX_SUGGESTED

    body = ("I've emailed you 3 times, and the offer expires Friday, " * 350)[:20000]
    draft = Message(channel="email", body=body)
    rich = suggest(draft, analyze(draft), context=None, strategy="value_nudge")
    with_fix = [f for f in rich.findings if f.suggestions]
    assert 0 < len(with_fix) <= MAX_SUGGESTED
    for finding in with_fix:
        fix = finding.suggestions[0]
        assert fix.end - fix.start > MAX_CLAUSE_SENTENCE  # the run-on goes whole


# --- substance a warning's cut must not cost, and clauses that lean on a cut one -----------

_ASKED = Context.model_validate(
    {
        "prospect": {"name": "Jordan Lee", "company": "Kinetic Retail"},
        "sender": {"name": "Alex Kim", "company": "Helpwise"},
        "prospect_messages": [
            "Do you integrate with Zendesk and Freshdesk? What about Salesforce Service Cloud?"
        ],
    }
)


def test_a_buzzword_cut_never_drops_a_name_the_buyer_asked_about() -> None:
    # "at scale" has no plain swap: cutting its clause ("and Freshdesk at scale") would
    # take Freshdesk, which answers the buyer's question, out of the answer.
    body = (
        "Hi Jordan,\n\nTo answer your question: yes, we support Zendesk and Freshdesk at scale,"
        " and the Salesforce Service Cloud connector ships in June.\n\nWould Thursday work for"
        " a short review?\n\nBest,\nAlex"
    )
    _, result, _ = run(body, context=_ASKED, strategy="value_nudge")
    out = result.message.body
    for name in ("Zendesk", "Freshdesk", "Salesforce Service Cloud", "June"):
        assert name in out


def test_an_idiom_with_a_plain_swap_goes_and_the_names_around_it_stay() -> None:
    body = (
        "Hi Jordan,\n\nYes, we support Zendesk and Freshdesk out of the box, and the Salesforce"
        " Service Cloud connector ships in June.\n\nWould Thursday work for a short review?"
        "\n\nBest,\nAlex"
    )
    _, result, after = run(body, context=_ASKED, strategy="value_nudge")
    out = result.message.body
    assert "out of the box" not in out
    assert "we support Zendesk and Freshdesk, and the Salesforce Service Cloud" in out
    assert "jargon" not in after.rules()


def test_a_name_only_the_pitch_holds_goes_with_the_buzzwords() -> None:
    # No one on the buyer's side said "IoT": the clause is the seller's pitch.
    body = (
        "Hi Jordan,\n\nThe pilot cut ticket backlog by 31% in four weeks. Our cutting-edge IoT"
        " solution leverages next-gen AI to move the needle.\n\nWould Thursday work for a short"
        " review?\n\nBest,\nAlex"
    )
    _, result, after = run(body, context=_ASKED, strategy="value_nudge")
    out = result.message.body
    assert "IoT" not in out
    assert "move the needle" not in out
    assert "31%" in out
    assert "jargon" not in after.rules()


def test_a_clause_that_leans_on_a_cut_one_goes_with_it() -> None:
    body = (
        "Hi Luis, it's Kate from Solara. Your install slot on the 14th is still open but I need"
        " your deposit by tomorrow or we lose it. Call me at 555-201-3344."
    )
    context = Context.model_validate(
        {
            "prospect": {"name": "Luis Ortega"},
            "sender": {"name": "Kate Moss", "company": "Solara"},
            "notes": "Install slot on the 14th held. Deposit $500.",
        }
    )
    _, result, after = run(body, channel="sms", context=context, strategy="value_nudge")
    out = result.message.body
    assert "Your install slot on the 14th is still open" in out
    assert "or we lose it" not in out
    assert "we lose it" not in out
    assert "555-201-3344" in out
    assert not blocking_findings(after)


def test_a_list_item_keeps_its_marker_and_its_own_punctuation() -> None:
    body = (
        "Hi Anita,\n\nHere's the pricing for 25 seats:\n\n- Core plan: $18/seat/month\n"
        "- Onboarding: one-time $1,500 (waived if you sign by 12/15)\n1) Support: included\n\n"
        "Happy to walk through it if useful.\n\nOwen"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    assert "\n- Core plan: $18/seat/month\n- Onboarding: one-time $1,500\n1) Support" in out
    assert "waived" not in out
    assert "desperate_discount" not in after.rules()


def test_a_list_item_with_nothing_left_goes_with_its_marker() -> None:
    body = (
        "Hi Anita,\n\nTwo things:\n\n- The rota template is at https://rotawise.example/r\n"
        "- Sign today or the price goes up\n\nHappy to walk through it if useful.\n\nOwen"
    )
    _, result, _ = run(body, strategy="value_nudge")
    out = result.message.body
    assert "- The rota template is at https://rotawise.example/r" in out
    assert "price goes up" not in out
    assert "\n- \n" not in out
    assert not out.rstrip().endswith("-")
    assert "\n-\n" not in out


def test_the_question_goes_above_a_signature_block_and_its_footer() -> None:
    body = (
        "Hi Anita,\n\nThe weekend rota template is attached. Act now: book your demo today!"
        "\n\nBest regards,\n\nOwen Marsh\nAccount Executive | Rotawise\nM: +1 (415) 555-0199\n"
        "www.rotawise.example\n\nCONFIDENTIALITY NOTICE: This email and any attachments are"
        " confidential and intended solely for the addressee."
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    signature = out.index("Best regards,")
    question = out.index("?")
    assert question < signature  # never written under the footer
    assert out[signature:] == body[body.index("Best regards,") :]
    assert "book your demo" not in out
    assert not [f for f in after.findings if f.severity == "error"]


def test_a_company_suffix_does_not_end_a_sentence() -> None:
    # The cut takes the whole boast: no "Rotawise Inc." is left standing alone.
    body = (
        "Hi Anita,\n\nThe weekend rota template is attached. Rotawise Inc. is the"
        " industry-leading rota platform, trusted by 500+ clinics.\n\nHappy to walk through"
        " it if useful.\n\nOwen"
    )
    _, result, _ = run(body, strategy="value_nudge")
    out = result.message.body
    assert "industry-leading" not in out
    assert "Rotawise Inc." not in out
    assert "The weekend rota template is attached." in out


@pytest.mark.parametrize(
    "sentence",
    [
        "To be honest, I need to get this signed this month to hit my number.",
        "I know you're busy but this offer expires Friday, so I need an answer ASAP.",
        "I'm sure you're swamped, but I really need your sign-off by Friday.",
        "I'm sure you're super busy, but I really need these answers ASAP.",
        "I know things are pretty hectic, but we need a decision today.",
    ],
)
def test_a_lead_in_left_alone_by_a_cut_goes_with_it(sentence: str) -> None:
    body = (
        "Hi Anita,\n\nThe weekend rota template is at https://rotawise.example/r. "
        f"{sentence}\n\nOwen"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    lead = sentence.split(",")[0].split(" but ")[0]
    assert lead not in out
    assert "https://rotawise.example/r" in out
    assert not [f for f in after.findings if f.severity == "error"]


@pytest.mark.parametrize(
    "closing",
    [
        "Worth a look if that's on your plate. Either way, good luck with the launch.",
        "As agreed, we'll all regroup Tuesday the 14th at 10am.",
    ],
)
def test_a_soft_pointer_or_an_agreed_meeting_is_a_next_step(closing: str) -> None:
    draft = Message(
        channel="email",
        body=f"Hi Anita,\n\nThe weekend rota write-up is at https://rotawise.example/r.\n\n{closing}"
        "\n\nOwen",
    )
    assert "no_next_step" not in analyze(draft, context=CTX).rules()


@pytest.mark.parametrize(
    ("subject", "replaced"),
    [
        ("Following up!!!", True),
        ("Re: Checking in", True),
        ("Just a quick follow-up", True),
        ("Following up on the weekend rota numbers", False),
        ("Re: weekend rota pricing", False),
    ],
)
def test_a_subject_that_only_announces_another_message_is_replaced(
    subject: str, replaced: bool
) -> None:
    body = (
        "Hi Anita,\n\nI've emailed you three times now. The weekend rota template is at"
        " https://rotawise.example/r.\n\nOwen"
    )
    _, result, _ = run(body, subject=subject, strategy="value_nudge")
    new = result.message.subject
    assert new is not None
    assert (new != subject) is replaced
    if replaced:
        assert new.startswith("Re: ") is subject.startswith("Re: ")
        assert any(c.before == subject and c.after == new for c in result.changes)


def test_an_added_question_never_runs_on_after_a_bare_link() -> None:
    body = (
        "Hi Anita,\n\nThis offer expires Friday, so sign today. The rota template:"
        " https://rotawise.example/r\n\nOwen"
    )
    _, result, _ = run(body, strategy="value_nudge")
    out = result.message.body
    assert "https://rotawise.example/r\n" in out
    link_end = out.index("https://rotawise.example/r") + len("https://rotawise.example/r")
    assert out[link_end] == "\n"
    assert "?" in out[link_end:]


def test_a_commitment_with_a_curly_apostrophe_is_a_clause_like_any_other() -> None:
    # "We\u2019ll start straight away" has a verb: a typographic apostrophe is an apostrophe.
    from service.editor._cuts import _HAS_VERB

    for text in ("We'll start straight away", "I've kept everything set up", "It's out now"):
        assert _HAS_VERB.search(text)
        assert _HAS_VERB.search(text.replace("'", "\u2019"))


@pytest.mark.parametrize(
    ("slot", "value"),
    [
        ("{{sender_name}}", "Owen Marsh"),
        ("{{sender.first_name}}", "Owen"),
        ("{{owner.lastname}}", "Marsh"),
        ("[Your Name]", "Owen Marsh"),
        ("{{my_company}}", "Rotawise"),
    ],
)
def test_a_merge_tag_for_the_sender_is_filled_with_the_senders_details(
    slot: str, value: str
) -> None:
    body = (
        "Hi {{first_name}},\n\nThe weekend rota template is at https://rotawise.example/r."
        f" Would it help to go through it together?\n\nThanks,\n{slot}"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    assert out.startswith("Hi Anita,")
    assert out.rstrip().endswith(value)
    assert "placeholder" not in after.rules()


def test_over_the_budget_conversation_goes_before_substance_and_lists_stay_whole() -> None:
    body = (
        "Hi Anita,\n\nThanks again for the time on Thursday. I really enjoyed hearing how the"
        " two clinics build their weekend rotas, and it was useful to see the spreadsheet your"
        " coordinator keeps.\n\nBased on what you shared, three things stood out. First, the"
        " Thursday rota takes about 4 hours to build by hand. Second, agency shifts are booked"
        " after the gaps show up, which is why they cost more. Third, the two clinics use"
        " different templates, so nobody can compare them.\n\nHere is how other clinics handled"
        " it. Most start by moving the rota to one shared template so every gap shows up on"
        " Monday. Then they offer open shifts to their own staff first before any agency gets"
        " a call. Finally, they compare both clinics each week on the same screen.\n\nThe"
        " one-page summary from a similar clinic is at https://rotawise.example/case. It covers"
        " the hours and the agency spend before and after.\n\nWould it help if I walked your"
        " coordinators through it for 20 minutes next week?\n\nBest,\nOwen"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    assert "too_long" not in after.rules()
    assert "Thanks again for the time" not in out
    assert "I really enjoyed" not in out
    for item in ("First, the Thursday rota", "Second, agency shifts", "Third, the two clinics"):
        assert item in out
    assert "https://rotawise.example/case" in out
    assert out.count("?") >= 1
    # An announcement never outlives what it announced.
    if "Most start by" not in out:
        assert "Here is how other clinics handled it" not in out


def test_an_if_so_sentence_goes_with_the_ask_it_answers() -> None:
    body = (
        "Hi Anita,\n\nThe rota template is at https://rotawise.example/r.\n\nAre you ready to"
        " move forward? If so, I can send the contract today and we can have you live by the"
        " 15th of next month.\n\nOwen"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    assert "If so" not in out
    assert "ready to move forward" not in out
    assert "https://rotawise.example/r" in out
    assert not [f for f in after.findings if f.severity == "error"]


@pytest.mark.parametrize(
    "postscript",
    [
        "P.S. Our prices go up on January 1, so act now!",
        "PS: Our prices go up on January 1, so act now!",
        "P.S.\nOur prices go up on January 1, so act now!",
    ],
)
def test_a_postscript_with_all_it_said_cut_goes_with_its_marker(postscript: str) -> None:
    body = (
        "Hi Anita,\n\nThe weekend rota template is here: https://rotawise.example/weekend-rota"
        "\n\nWould it help to see how one clinic filled its Saturdays with it?\n\nBest,\nOwen"
        f"\n\n{postscript}"
    )
    _, result, after = run(body)
    out = result.message.body
    assert "prices go up" not in out
    assert "P.S" not in out
    assert "PS" not in out
    assert out.endswith("Best,\nOwen")
    assert not blocking_findings(after)


def test_a_postscript_that_keeps_something_keeps_its_marker() -> None:
    body = (
        "Hi Anita,\n\nThe weekend rota template is here: https://rotawise.example/weekend-rota"
        "\n\nWould it help to see how one clinic filled its Saturdays with it?\n\nBest,\nOwen"
        "\n\nP.S. The template also covers bank holidays. Our prices go up on January 1, "
        "so act now!"
    )
    out = run(body)[1].message.body
    assert "P.S. The template also covers bank holidays." in out
    assert "prices go up" not in out


def test_a_rush_word_goes_and_the_callback_number_stays() -> None:
    body = (
        "Hi Anita, this is Owen from Rotawise. Call me back ASAP at 503-555-0199, "
        "the quote expires Friday."
    )
    _, result, after = run(body, channel="voicemail")
    out = result.message.body
    assert "503-555-0199" in out
    assert "ASAP" not in out
    assert "expires" not in out
    assert "Call me back at 503-555-0199" in out
    assert not blocking_findings(after)
    assert any(c.before.startswith("Call me back ASAP") for c in result.changes)


def test_a_now_that_clause_does_not_stand_alone_after_its_ask_is_cut() -> None:
    body = (
        "Hi Anita,\n\nThe weekend rota template is here: https://rotawise.example/r\n\n"
        "Now that you have everything, can we get the contract signed this week?\n\nBest,\nOwen"
    )
    out = run(body, strategy="value_nudge")[1].message.body
    assert "Now that you have everything" not in out
    assert "https://rotawise.example/r" in out


def test_a_let_me_know_closing_stays_above_the_name_under_the_additions() -> None:
    body = (
        "Hi Anita,\n\nThe weekend rota template is here: https://rotawise.example/r. "
        "You did promise to get back to me after the holiday.\n\nLet me know,\nOwen"
    )
    _, result, after = run(body)
    out = result.message.body
    assert out.endswith("Let me know,\nOwen")
    assert "promise" not in out
    assert not blocking_findings(after)


@pytest.mark.parametrize("turn", ["Anyway", "Either way", "Regardless"])
def test_a_turn_away_from_a_cut_sentence_goes_with_it(turn: str) -> None:
    body = (
        "Hi Anita,\n\nI've left you three voicemails this week and still nothing.\n\n"
        f"{turn}, the weekend rota template is here: https://rotawise.example/r\n\n"
        "Would it help to see how one clinic filled its Saturdays with it?\n\nBest,\nOwen"
    )
    _, result, after = run(body)
    out = result.message.body
    assert "voicemails" not in out
    assert turn not in out
    assert "The weekend rota template is here: https://rotawise.example/r" in out
    assert not blocking_findings(after)


def test_an_emoji_left_by_a_cut_sentence_goes_and_the_reps_own_emoji_lines_stay() -> None:
    body = (
        "Hi Anita,\n\nThe rota template covers:\n\n\u2705 Weekend shifts\n\u2705 Bank holidays"
        "\n\nWe're the best-in-class solution and our team is world-class!!! \U0001f680\n\n"
        "Which of these matters most for Saturdays?\n\n\U0001f44b\nOwen"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    assert "\U0001f680" not in out
    assert "\u2705 Weekend shifts\n\u2705 Bank holidays" in out
    assert "\U0001f44b\nOwen" in out
    assert "world-class" not in out
    assert not blocking_findings(after)


@pytest.mark.parametrize("footer", ["Sent from my iPhone", "Get Outlook for Android"])
def test_additions_go_above_the_name_and_a_mobile_footer(footer: str) -> None:
    body = (
        "Hi Anita,\n\nYes, the rota template handles bank holidays too. I've emailed you three "
        f"times about it.\n\nOwen\n\n{footer}"
    )
    _, result, after = run(body)
    out = result.message.body
    assert out.endswith(f"Owen\n\n{footer}")
    assert "?" in out.split("Owen")[0]
    assert "three times" not in out
    assert not blocking_findings(after)


def test_a_role_left_alone_by_a_cut_goes_with_it() -> None:
    body = (
        "Hi Anita,\n\nThe weekend rota template is here: https://rotawise.example/r\n\n"
        "As the director, you need to make a call on this today.\n\nBest,\nOwen"
    )
    out = run(body, strategy="value_nudge")[1].message.body
    assert "As the director" not in out
    assert "https://rotawise.example/r" in out


def test_a_crlf_draft_keeps_one_blank_line_where_a_paragraph_was_cut() -> None:
    body = (
        "Hi Anita,\r\n\r\nI've emailed you three times now.\r\n\r\n"
        "The weekend rota template is here: https://rotawise.example/r\r\n\r\n"
        "Would it help with Saturdays?\r\n\r\nOwen"
    )
    out = run(body)[1].message.body
    assert "three times" not in out
    assert "\r\n\r\n\r\n" not in out
    assert out.startswith("Hi Anita,\r\n\r\nThe weekend rota template")


def test_markdown_emphasis_closes_a_sentence_so_only_the_offence_is_cut() -> None:
    body = (
        "Hi Anita,\n\n**Our spring pricing ends Friday!** The weekend rota template is "
        "[here](https://rotawise.example/r).\n\n*Would it help with Saturdays?*\n\nOwen"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    assert "pricing ends Friday" not in out
    assert "The weekend rota template is [here](https://rotawise.example/r)." in out
    assert result.message.body.startswith("Hi Anita,")
    assert not blocking_findings(after)


def test_a_sentence_pointing_back_at_a_cut_put_down_goes_with_it() -> None:
    body = (
        "Hi Anita,\n\nI hear you're also looking at Shiftly. Honestly, their support is terrible "
        "and half their customers are leaving. We would never treat you like that.\n\n"
        "The weekend rota template is here: https://rotawise.example/r\n\nOwen"
    )
    _, result, after = run(body, strategy="value_nudge")
    out = result.message.body
    assert "terrible" not in out
    assert "like that" not in out
    assert "I hear you're also looking at Shiftly." in out
    assert "https://rotawise.example/r" in out
    assert not blocking_findings(after)

"""Truth tables for the phrase rules: positives and hard negatives per rule."""

from __future__ import annotations

import pytest

from service.analysis import analyze
from service.models import Context, Message

pytestmark = pytest.mark.unit


def _rules(body: str, channel: str = "email", context: Context | None = None) -> set[str]:
    return analyze(Message(channel=channel, body=body), context=context).rules()


CASES: list[tuple[str, str, bool]] = [
    # --- guilt_trip --------------------------------------------------------
    ("guilt_trip", "I've emailed you four times now and heard nothing.", True),
    ("guilt_trip", "Per my last email, the numbers are attached.", True),
    ("guilt_trip", "You never got back to me about the pilot.", True),
    ("guilt_trip", "Did you get my previous message?", True),
    ("guilt_trip", "I haven\u2019t heard back from you since March.", True),
    ("guilt_trip", "Tried calling you 2x yesterday.", True),
    ("guilt_trip", "This is the fourth time I'm reaching out.", True),
    ("guilt_trip", "Just making sure you saw my email.", True),
    ("guilt_trip", "did u get my last text?", True),
    ("guilt_trip", "This is my fourth call about the quote.", True),
    ("guilt_trip", "I said I'd call after your trip, so here I am.", False),
    ("guilt_trip", "It's been a while since we spoke, and that's likely on me.", False),
    ("guilt_trip", "I may have dropped the ball after our call; sorry about that.", False),
    (
        "guilt_trip",
        "When I don't hear back it usually means priorities shifted, which is fine.",
        False,
    ),
    ("guilt_trip", "You mentioned the night shift keeps running out of labels.", False),
    # --- empty_check_in ----------------------------------------------------
    ("empty_check_in", "Just checking in on this.", True),
    ("empty_check_in", "Circling back on my note from last week.", True),
    ("empty_check_in", "Wanted to touch base and see if you had any update?", True),
    ("empty_check_in", "Bumping this to the top of your inbox.", True),
    ("empty_check_in", "I wanted to follow up on my previous email.", True),
    ("empty_check_in", "Guests who check in late often skip breakfast.", False),
    (
        "empty_check_in",
        "Just following up with the checklist you asked for: here's the short one.",
        False,
    ),
    (
        "empty_check_in",
        "Here is a two-line summary of what the audit changed for teams like yours.",
        False,
    ),
    # --- false_urgency -----------------------------------------------------
    ("false_urgency", "This offer expires tonight.", True),
    ("false_urgency", "Only 2 spots left for the spring cohort.", True),
    ("false_urgency", "Can we get it done before the quarter ends?", True),
    ("false_urgency", "Prices go up next month, so lock in this rate now.", True),
    ("false_urgency", "We're almost fully booked for spring.", True),
    ("false_urgency", "Wait much longer and you'll regret it.", True),
    ("false_urgency", "There's no deadline on our side.", False),
    ("false_urgency", "No pressure to decide now; whenever suits you.", False),
    ("false_urgency", "Worth sorting before your busy season starts?", False),
    ("false_urgency", "This is not a limited-time offer.", False),
    ("false_urgency", "Don\u2019t miss out on this price.", True),
    # --- desperate_discount ------------------------------------------------
    ("desperate_discount", "I can do an extra 15% off if you sign this week.", True),
    ("desperate_discount", "We'll waive the setup fee if you commit today.", True),
    ("desperate_discount", "I got approval to cut the price to $400 a month.", True),
    ("desperate_discount", "Happy to knock the price down for you.", True),
    ("desperate_discount", "We can run the free trial to fit your schedule after the move.", False),
    ("desperate_discount", "Your team cut stockouts by a third last year.", False),
    ("desperate_discount", "When you ran 20% off last February, which stores sold out?", False),
    # --- sales_pitch_meeting -----------------------------------------------
    ("sales_pitch_meeting", "Can we schedule a quick demo on Tuesday?", True),
    ("sales_pitch_meeting", "I'd love to walk you through our platform.", True),
    ("sales_pitch_meeting", "Would you hop on a call to learn more about our product?", True),
    ("sales_pitch_meeting", "We'd like to present Shelfly to your buyers.", True),
    ("sales_pitch_meeting", "Let me show you how our award-winning platform saves time.", True),
    (
        "sales_pitch_meeting",
        "This isn't a demo: I'd like to hear how your team plans the week.",
        False,
    ),
    ("sales_pitch_meeting", "Happy to set up the demo you asked for with your engineers.", False),
    ("blames_prospect", "You did promise to get back to me after the holiday.", True),
    ("blames_prospect", "You did say you'd have the numbers by now.", True),
    ("blames_prospect", "Did you say you'd prefer Tuesdays?", False),
    ("blames_prospect", "You did mention the Reno warehouse, so here is its layout.", False),
    ("blames_prospect", "So please don't drop the ball on this.", True),
    ("blames_prospect", "I'll make sure we don't drop the ball on the handover.", False),
    ("guilt_trip", "did u see my last 3 texts?", True),
    ("guilt_trip", "Did you see the case study I mentioned on the call?", False),
    ("disparagement", "I hear you're evaluating Routely. Their support is terrible.", True),
    ("disparagement", "Routely's customers are leaving in droves.", True),
    ("disparagement", "Our support was terrible last year, and we fixed it.", False),
    (
        "disparagement",
        "I spoke with Dana at Acme. Their customers are leaving for cheaper options, so she "
        "is focusing on retention.",
        False,
    ),
    ("disparagement", "I hear Routely is struggling: half their customers are leaving.", True),
    (
        "disparagement",
        "Thanks for the plant tour. Their support is terrible, you said, so here is a checklist.",
        False,
    ),
    ("blames_prospect", "You missed our call yesterday at 2pm.", True),
    ("blames_prospect", "I waited on the line for 15 minutes.", True),
    ("blames_prospect", "Please let me know next time if you can't make it.", True),
    ("blames_prospect", "Sorry I missed our call yesterday; that's on me.", False),
    ("blames_prospect", "If you missed the call, the recording is here.", False),
    ("pushy_close", "But honestly, can you afford NOT to fix this?", True),
    ("pushy_close", "Can you really afford to wait another quarter?", True),
    ("pushy_close", "Whether you can afford it this quarter is your call.", False),
    ("false_urgency", "Want the summary? Offer good thru Sunday only!", True),
    ("false_urgency", "Every practice that waits regrets it.", True),
    ("false_urgency", "Frankly, the longer you wait, the more patients you lose.", True),
    ("false_urgency", "Nobody who waits here is at fault; timing is yours.", False),
    ("pushy_close", "Decision time on the renewal.", True),
    ("pushy_close", "Happy to share how others made the decision; timing is yours.", False),
    ("guilt_trip", "Sorry to bother you again, I keep emailing you.", True),
    ("guilt_trip", "I know I keep pestering you.", True),
    ("guilt_trip", "I noticed you opened my last email 5 times.", True),
    ("guilt_trip", "Saw you visited our pricing page yesterday.", True),
    ("guilt_trip", "Sorry to bother you on a Friday; one quick idea.", False),
    ("guilt_trip", "I saw you spoke at the logistics summit.", False),
    ("desperate_discount", "Your drivers idle about 30% off-peak; want the breakdown?", False),
    ("pushy_close", "You said the review was last week. How did it go?", False),
    ("pushy_close", "Go/no-go?", True),
    # --- pushy_close -------------------------------------------------------
    ("pushy_close", "Are you ready to move forward?", True),
    ("pushy_close", "Please sign and send back the order form.", True),
    ("pushy_close", "Reply YES and I'll send the paperwork.", True),
    ("pushy_close", "I need a decision by Friday.", True),
    ("pushy_close", "I really need these answers ASAP.", True),
    ("pushy_close", "We need your reply today.", True),
    ("pushy_close", "No rush on these answers; whenever suits you.", False),
    ("pushy_close", "If you need the answers today, I can call at 3.", False),
    ("false_urgency", "Please send them soon or we will miss our deadline.", True),
    ("false_urgency", "Reply this week, otherwise I lose my slot with the installers.", True),
    ("false_urgency", "Tell me if it slips so you don't miss your deadline.", False),
    ("pushy_close", "I'll send the contract over today.", True),
    ("pushy_close", "r u ready to sign?", True),
    ("pushy_close", "Ring me so we can finalise the order.", True),
    ("pushy_close", "You should decide quickly.", True),
    ("pushy_close", "Whenever you're ready to get started, I'm here.", False),
    ("pushy_close", "Is this still a priority?", False),
    ("pushy_close", "No need to decide anything now.", False),
    ("pushy_close", "No need to rush or decide now.", False),
    ("pushy_close", "If now isn't the right time, that's fine.", False),
    # --- blames_prospect ---------------------------------------------------
    ("blames_prospect", "You said you'd decide by Wednesday.", True),
    ("blames_prospect", "Are you even interested anymore?", True),
    ("blames_prospect", "You promised to send the floor plans.", True),
    ("blames_prospect", "I thought we agreed you'd decide this month.", True),
    ("blames_prospect", "You said Friday afternoons are the worst for cancellations.", False),
    ("blames_prospect", "I said I would send the floor plans, so here they are.", False),
    # --- jargon ------------------------------------------------------------
    ("jargon", "Let's find synergies between our teams.", True),
    ("jargon", "Our best-in-class approach will move the needle.", True),
    ("jargon", "You could leverage your existing data.", True),
    ("jargon", "An omnichannel, data-driven approach.", True),
    ("jargon", "The leverage ratio on the loan book looks healthy.", False),
    ("jargon", "The cutting edge of the drill wears after a week.", False),
    # --- self_centered -----------------------------------------------------
    ("self_centered", "We're the industry leader in route planning.", True),
    ("self_centered", "Our platform offers forty integrations.", True),
    ("self_centered", "We just launched our new analytics module.", True),
    ("self_centered", "My name is Nadia and I'm the account executive here.", True),
    ("self_centered", "I think I pushed too hard last month, and I'm sorry.", False),
    ("self_centered", "How is the new warehouse settling in for your team?", False),
    (
        "self_centered",
        "When we spoke we discussed transfers. Since we met I sketched our last call's idea. Ok?",
        False,
    ),
    # --- placeholder -------------------------------------------------------
    ("placeholder", "Hi [First Name], quick one.", True),
    ("placeholder", "How is {{company}} doing?", True),
    ("placeholder", "Hi <first name>, hope the move went well.", True),
    ("placeholder", "Thanks, %SENDER_NAME%", True),
    ("placeholder", "Hi ,\nquick one?", True),
    ("placeholder", "Press <Tab> to move to the next field.", False),
    # Leaked prompt and format text belongs to prompt_disclosure / degenerate_text.
    ("placeholder", "My instructions are: keep it short.", False),
    ("prompt_disclosure", "My instructions are: keep it short.", True),
    ("placeholder", "<body>Hi Sam, quick one?</body>", False),
    ("degenerate_text", "<body>Hi Sam, quick one?</body>", True),
    ("placeholder", "Here are the [notes](https://example.org) from the call.", False),
    ("placeholder", "Thanks for the chat <3", False),
    # --- no_next_step ------------------------------------------------------
    ("no_next_step", "Here is the checklist we discussed. Good luck with the launch.", True),
    ("no_next_step", "Here is the checklist we discussed. Want the longer version?", False),
    (
        "no_next_step",
        "The script is attached. If you try it, I would love to hear how patients respond.",
        False,
    ),
    (
        "no_next_step",
        "The pilot agreement you asked for is attached. Take your time; I'm around if questions "
        "come up.",
        False,
    ),
    (
        "no_next_step",
        "The wedding ordering template I mentioned: prepplan.io/t. No need to reply unless useful!",
        False,
    ),
    (
        "no_next_step",
        "Recap of what we agreed:\n- Pilot in Austin first\n- We hold a check-in on Jan 6 at 11am",
        False,
    ),
    ("no_next_step", "Here is the checklist we discussed. Let me know if it helps.", False),
    ("no_next_step", "Reply 'send' and I'll email the template.", False),
    ("no_next_step", "If I got it wrong, I'd really value your honest feedback.", False),
    # --- phrases added from new situations (2026-12-07) --------------------
    ("pushy_close", "Honestly, you'd be crazy not to move forward at this price.", True),
    ("pushy_close", "It would be silly to pass on this.", True),
    ("pushy_close", "There is no reason not to sign.", True),
    ("pushy_close", "Would it be crazy to grab 30 minutes next week?", False),
    ("pushy_close", "That sounds crazy, not to worry.", False),
    ("desperate_discount", "Whatever you pay now, I'll match anyone.", True),
    ("desperate_discount", "Seriously, we'll beat anybody's quote.", True),
    ("desperate_discount", "Happy to match anyone with a mentor on your team.", False),
    ("blames_prospect", "Hi Ben, it\u2019s a little discouraging on my end.", True),
    ("blames_prospect", "The discouraging part of onboarding is the paperwork.", False),
    ("self_centered", "Our competitors can't match our rates anyway.", True),
    ("self_centered", "No one else comes close.", True),
    ("self_centered", "Your competitors can't match your reach in the region.", False),
    ("no_next_step", "The write-up is attached. Worth a look if that's on your plate.", False),
    ("no_next_step", "Notes attached. As agreed, we'll regroup Tuesday at 10am.", False),
    ("no_next_step", "The write-up is attached. Good luck with the launch.", True),
    ("pushy_close", "What do you need from me to get this signed this week?", True),
    ("pushy_close", "Let's get the contract approved by Friday.", True),
    ("pushy_close", "Whenever you're ready, we can get it signed, no rush at all.", False),
]


@pytest.mark.parametrize(("rule", "body", "fires"), CASES)
def test_rule_truth_table(rule: str, body: str, fires: bool) -> None:
    assert (rule in _rules(body)) is fires


def test_empty_check_in_is_an_error_alone_and_a_warning_next_to_value() -> None:
    alone = analyze(Message(body="Just checking in. Any update?"))
    with_value = analyze(
        Message(body="Just checking in: here's a short checklist that might help. Useful?")
    )
    assert {f.severity for f in alone.findings if f.rule == "empty_check_in"} == {"error"}
    assert {f.severity for f in with_value.findings if f.rule == "empty_check_in"} == {"warning"}


def test_self_centered_counts_the_sender_company_as_self() -> None:
    ctx = Context.model_validate({"sender": {"company": "Shelfly"}})
    body = "Shelfly is the fastest way to count stock. Would a quick look help?"
    assert "self_centered" in _rules(body, context=ctx)
    assert "self_centered" not in _rules("Would a quick look help?", context=ctx)


def test_the_sender_company_counts_only_as_whole_words() -> None:
    """A short company name inside other words ("AI" in "said", "email", "again") is not
    a self-mention; the same name as a word still is.
    """
    body = (
        "Hi Dana, I said I'd wait for your email. Again, the inbox trick we discussed: "
        "keep it in mind. Would a short example help?"
    )
    ai = Context.model_validate({"sender": {"company": "AI"}, "prospect": {"name": "Dana"}})
    assert "self_centered" not in _rules(body, context=ai)
    boasts = "AI is the best. AI ships fast. We built it. Our tool rocks. Want a look?"
    assert "self_centered" in _rules(boasts, context=ai)


@pytest.mark.parametrize("company", ["-", ".", "<", "..."])
def test_a_company_with_no_letter_or_digit_is_not_looked_for(company: str) -> None:
    """A CRM's placeholder for an unknown company ("-") is not the sender talking about
    themselves (it used to count every dash, and a punctuation-only draft answered 500).
    """
    ctx = Context.model_validate({"sender": {"company": company}})
    assert _rules(company * 10, context=ctx) == _rules(company * 10)
    assert "self_centered" not in _rules("- We pick. - We pack. - Any thoughts?", context=ctx)


@pytest.mark.parametrize(
    ("channel", "body", "fires"),
    [
        ("email", " ".join(["word"] * 126) + "?", True),
        ("email", " ".join(["word"] * 120) + "?", False),
        ("sms", "a" * 321, True),
        ("sms", "Quick one?", False),
        ("linkedin", "b" * 301, True),
        ("voicemail", " ".join(["call"] * 76), True),
    ],
)
def test_too_long_follows_the_channel_budget(channel: str, body: str, fires: bool) -> None:
    assert ("too_long" in _rules(body, channel=channel)) is fires


def test_too_long_span_is_the_text_past_the_limit() -> None:
    body = " ".join(f"w{i}" for i in range(130)) + "?"
    finding = next(f for f in analyze(Message(body=body)).findings if f.rule == "too_long")
    assert finding.excerpt.startswith("w125 ")
    assert body[finding.start : finding.end] == finding.excerpt


CLEAN_DRAFTS: list[tuple[str, str]] = [
    (
        "email",
        "Hi Priya,\n\nA retailer much like yours put off fixing store transfers until after the "
        "holidays and spent January clearing markdowns. If balanced stock is still the goal, "
        "would a short note on what they changed be useful?\n\nTom",
    ),
    (
        "email",
        "Hi Marcus,\n\nIt's been a while since we last spoke, and that's on me. I'm not writing "
        "to push the proposal. If something changed on your side, I'd value an honest word. "
        "Would that be alright?\n\nAisha",
    ),
    (
        "email",
        "Hi Elena,\n\nWhen a quote goes quiet it usually means something shifted: priorities, "
        "budget, or who owns the decision. Any of those is fine to hear. Is there someone else "
        "I should talk to?\n\nBen",
    ),
    (
        "linkedin",
        "Hi Olivia, thanks again for walking me through month-end. What's the best way and time "
        "to pick this up again: here, email, or a quick call after the first week?",
    ),
    (
        "sms",
        "Hi Ravi, Carla here. You mentioned Friday afternoons are the hardest. Want the two-line "
        "text some practices send to their waitlist?",
    ),
    (
        "voicemail",
        "Hi Grace, it's Omar. I said I'd call after your trade show, so here I am. No need to "
        "call back: I'll send a short email with one idea, and you can reply whenever suits.",
    ),
    (
        "email",
        "Hi Noah,\n\nNo pressure to decide anything now. I put together a one-page example of a "
        "client report your team could send in ten minutes. Want me to send it over?\n\nMaya",
    ),
    (
        "sms",
        "Hi Tomas, if you and your partner want to test bookings on the terrace first, the trial "
        "can start whenever suits your schedule. Want the details?",
    ),
]


@pytest.mark.parametrize(("channel", "body"), CLEAN_DRAFTS)
def test_clean_drafts_have_no_error_findings(channel: str, body: str) -> None:
    analysis = analyze(Message(channel=channel, body=body))
    assert not analysis.has_errors(), [(f.rule, f.excerpt) for f in analysis.findings]
    assert analysis.score >= 90


@pytest.mark.parametrize(
    ("signature", "fires"), [("Rotawise", False), ("Owen", False), ("Helen", True)]
)
def test_a_signature_with_the_senders_own_company_is_the_sender(
    signature: str, fires: bool
) -> None:
    context = Context.model_validate(
        {
            "prospect": {"name": "Anita Patel", "company": "Lakeside Clinics"},
            "sender": {"name": "Owen Marsh", "company": "Rotawise"},
        }
    )
    body = (
        f"Hi Anita,\n\nThe rota template is attached. Want a walkthrough?\n\nThanks,\n{signature}"
    )
    assert ("changed_party" in _rules(body, context=context)) is fires

"""Parsing the model's tagged answer, whole and streamed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.prompting import BodyStreamExtractor, MalformedAnswer, parse_answer

pytestmark = pytest.mark.unit

GOOD = """<subject>An idea for the new stores</subject>
<body>
Hi Dana,

One way to keep the shelves even: set a reorder point per store.

Would a short outline help?

Chris
</body>
<changes>
guilt_trip | no_guilt | I've reached out three times => (removed)
- pushy_close | their_timing | "are you ready to move forward?" -> Would a short outline help?
made_up_rule | made_up_principle | before => after
not a change line
jargon | buyer_goal | no arrow here
</changes>"""

BODY = (
    "Hi Dana,\n\nOne way to keep the shelves even: set a reorder point per store.\n\n"
    "Would a short outline help?\n\nChris"
)


def stream(text: str, cuts: list[int]) -> str:
    extractor = BodyStreamExtractor()
    pieces, last = [], 0
    for cut in sorted({c for c in cuts if 0 < c < len(text)}):
        pieces.append(extractor.feed(text[last:cut]))
        last = cut
    pieces.append(extractor.feed(text[last:]))
    pieces.append(extractor.finish())
    return "".join(pieces)


def test_good_answer() -> None:
    parsed = parse_answer(GOOD, "email")
    assert parsed.subject == "An idea for the new stores"
    assert parsed.body == BODY
    assert [(c.rule, c.principle, c.before, c.after) for c in parsed.changes] == [
        ("guilt_trip", "no_guilt", "I've reached out three times", "(removed)"),
        (
            "pushy_close",
            "their_timing",
            "are you ready to move forward?",
            "Would a short outline help?",
        ),
        (None, None, "before", "after"),
    ]


@pytest.mark.parametrize("channel", ["sms", "linkedin", "voicemail"])
def test_subject_is_dropped_off_email(channel: str) -> None:
    assert parse_answer(GOOD, channel).subject is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "body", "subject"),
    [
        # chatter before the tags is ignored, never returned
        ("Here is the rewrite you asked for:\n<body>\nHi Dana.\n</body>", "Hi Dana.", None),
        # code fences around or inside the answer
        ("```xml\n<subject>Hi</subject>\n<body>\nHello Dana.\n</body>\n```", "Hello Dana.", "Hi"),
        ("<body>\n```\nHello Dana.\n```\n</body>", "Hello Dana.", None),
        # no changes block, no closing tag, but a finished sentence
        (
            "<subject>S</subject>\n<body>\nHello Dana, when suits you?",
            "Hello Dana, when suits you?",
            "S",
        ),
        # no closing tag, a short sign-off line
        ("<body>\nWhen suits you?\n\nBest,\nChris", "When suits you?\n\nBest,\nChris", None),
        # the changes block ends the body even without </body>
        ("<body>Hello Dana\n<changes>\nx | y | a => b\n</changes>", "Hello Dana", None),
        # tags in odd case and spacing; CRLF line ends
        (
            "<SUBJECT> Hi  there </Subject>\r\n< body >\r\nLine one.\r\nLine two.\r\n</ BODY >",
            "Line one.\nLine two.",
            "Hi there",
        ),
        # subject tag split over lines, empty subject
        ("<subject>\nIdea\n</subject><body>Hi.</body>", "Hi.", "Idea"),
        ("<subject></subject><body>Hi.</body>", "Hi.", None),
        # a subject without its closing tag ends at the line break
        ("<subject>Idea for you\n<body>Hi.</body>", "Hi.", "Idea for you"),
        # an unclosed body followed by the model explaining itself
        (
            "<body>\nHi Dana, when suits you?\n\nNote: I removed the guilt.",
            "Hi Dana, when suits you?",
            None,
        ),
        ("<body>\nHi Dana.\nChanges: removed pressure\n</body>", "Hi Dana.", None),
        # a subject written inside the body moves to the subject
        ("<body>\nSubject: An idea\n\nHi Dana.\n</body>", "Hi Dana.", "An idea"),
        # lines that merely start like those markers are body text
        (
            "<body>\nNotable: the shelves.\nSubjects vary.\n</body>",
            "Notable: the shelves.\nSubjects vary.",
            None,
        ),
        # comparison signs in the body are text, not tags
        (
            "<body>Keep stock < 3 units > 0 when it helps.</body>",
            "Keep stock < 3 units > 0 when it helps.",
            None,
        ),
    ],
)
def test_tolerable_answers(text: str, body: str, subject: str | None) -> None:
    parsed = parse_answer(text, "email")
    assert parsed.body == body
    assert parsed.subject == subject
    assert stream(text, list(range(len(text)))) == body


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Sure! Here is a better message: Hi Dana, how are you?", "no <body>"),
        ("", "no <body>"),
        ("<subject>Hi</subject>\nHi Dana, when suits you?", "no <body>"),
        ("<body>\n   \n</body>", "empty"),
        ("<body>```\n```</body>", "empty"),
        ("<body>\nHi Dana, I was thinking that we could perhaps look at the", "cut off"),
    ],
)
def test_malformed_answers(text: str, reason: str) -> None:
    with pytest.raises(MalformedAnswer, match=reason):
        parse_answer(text, "email")


def test_stream_holds_back_a_possible_closing_tag() -> None:
    extractor = BodyStreamExtractor()
    assert extractor.feed("Sure thing!\n<bo") == ""
    assert extractor.feed("dy>\nHello Dana") == "Hello Dana"
    assert extractor.feed(", see you </bo") == ", see you"
    assert extractor.feed("dy>\n<changes>\nx | y | a => b") == ""
    assert extractor.finish() == ""


def test_stream_releases_a_lone_angle_bracket_once_it_cannot_be_a_tag() -> None:
    extractor = BodyStreamExtractor()
    extractor.feed("<body>Stock <")
    assert extractor.feed(" 3 units") == " < 3 units"


def test_stream_holds_back_a_possible_fence_line() -> None:
    extractor = BodyStreamExtractor()
    assert extractor.feed("<body>\n``") == ""
    assert extractor.feed("`\nHi") == "Hi"
    assert extractor.feed(" `code` ok\n`a") == " `code` ok"
    assert extractor.feed("b`.</body>") == "\n`ab`."


_PREFIXES = st.sampled_from(["", "Here is the rewrite:\n", "```\n", "Sure!\n```text\n", "  \n"])
_SUBJECTS = st.sampled_from(["", "<subject>A thought</subject>\n", "<subject>Idea\n", "<subject>"])
_SPECIAL_LINES = st.sampled_from(
    ["\nNote: x", "Subject: hi\n", "\nNotable", "\nSubj", "subject:", "\nchanges: a", "\nWhat i"]
)
_BODY_TEXT = st.lists(
    st.one_of(st.text(alphabet="ab Z.?,'<>/`~-\n\r\t", max_size=20), _SPECIAL_LINES), max_size=5
).map("".join)
_CLOSERS = st.sampled_from(
    [
        "</body>",
        "</BODY>\n",
        "< /body >",
        "",
        "\n<changes>\na | b | c => d\n</changes>",
        "\n```",
        "<subject>late</subject>",
        "</bo",
    ]
)
_SUFFIXES = st.sampled_from(
    ["", "\n<changes>\nx | y | a => b\n</changes>\n```", "\nHope this helps!"]
)


@settings(max_examples=400, deadline=None)
@given(
    _PREFIXES,
    _SUBJECTS,
    _BODY_TEXT,
    _CLOSERS,
    _SUFFIXES,
    st.lists(st.integers(min_value=0, max_value=200), max_size=12),
)
def test_stream_adds_up_to_the_parsed_body(
    prefix: str, subject: str, body: str, closer: str, suffix: str, cuts: list[int]
) -> None:
    text = f"{prefix}{subject}<body>\n{body}{closer}{suffix}"
    streamed = stream(text, cuts)
    try:
        parsed = parse_answer(text, "email")
    except MalformedAnswer:
        return
    assert streamed == parsed.body


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.lists(st.integers(min_value=0, max_value=130), max_size=8))
def test_stream_matches_parse_on_arbitrary_text(text: str, cuts: list[int]) -> None:
    streamed = stream(text, cuts)
    try:
        parsed = parse_answer(text, "sms")
    except MalformedAnswer:
        return
    assert streamed == parsed.body


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(GOOD)), max_size=30))
def test_stream_of_a_good_answer_is_its_body(cuts: list[int]) -> None:
    assert stream(GOOD, cuts) == BODY


def test_stream_holds_back_a_line_that_may_end_the_body() -> None:
    extractor = BodyStreamExtractor()
    assert extractor.feed("<body>\nHi Dana.\nNo") == "Hi Dana."
    assert extractor.feed("te") == ""
    assert extractor.feed("worthy idea.") == "\nNoteworthy idea."
    assert extractor.feed("\nNote: I changed it") == ""
    assert extractor.finish() == ""


def test_stream_holds_back_a_leading_subject_line() -> None:
    extractor = BodyStreamExtractor()
    assert extractor.feed("<body>\nSubj") == ""
    assert extractor.feed("ect: An idea") == ""
    assert extractor.feed("\n\nHi Dana.") == "Hi Dana."


def test_feed_after_the_body_closed_returns_nothing() -> None:
    extractor = BodyStreamExtractor()
    assert extractor.feed("<body>Hi.</body>") == "Hi."
    assert extractor.feed("<body>again</body>") == ""
    assert extractor.finish() == ""

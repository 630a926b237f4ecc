"""Each text is normalised once per analysis, and the faster fold gives the old results.

- *Once.* Inside one `analyze` call (`normalise_scope`) a text already
  normalised is not normalised again: the guard reads a draft as the original
  of its own rewrite, and the trusted text, the draft's language and the body
  used to normalise the same 20 KB three more times. Counted, not timed.
- *Same results.* The fold copies ASCII runs whole instead of one character at
  a time; on every text of the labelled dataset and on random text it gives
  exactly the old text, offset maps and hidden spans. The trusted text now
  normalises each field on its own (`clean_fields`); on the dataset that is
  the old corpus, and a defanged link is no longer pieced together across two
  fields (which only ever vouched for more).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench._adversarial import cases as adversarial_cases
from bench._adversarial import field_cases
from service.analysis import _fact_extract, _normalize, _provenance, analyze
from service.analysis._bounds import bound_original
from service.analysis._normalize import (
    _CONTROLS,
    MAX_GROWTH,
    Normalised,
    _compat,
    _fold_lookalikes,
    _hidden_controls,
    _refang,
    clean,
    clean_fields,
    normalise,
    normalise_scope,
)
from service.analysis._provenance import trusted_corpus
from service.models import AnalyzeRequest, Context, Message
from tests._dataset import labelled_records

pytestmark = pytest.mark.unit


CASES = labelled_records()


def _texts() -> list[str]:
    texts: list[str] = []
    for case in CASES:
        context = case.get("context") or {}
        texts += [case["draft"]["body"], (case.get("original") or {}).get("body") or ""]
        texts += [context.get("notes") or "", *(context.get("prospect_messages") or [])]
    return [t for t in texts if t]


TEXTS = _texts()


def _old_normalise(text: str) -> Normalised:
    """The fold before ASCII runs were copied whole: one character at a time."""
    if text.isascii() and _normalize._DEFANG.search(text) is None:
        return Normalised(text=text, original=text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    hidden = _hidden_controls(text)
    growth = 0
    for i, ch in enumerate(text):
        if ch.isascii():
            chars.append(ch)
            starts.append(i)
            ends.append(i + 1)
            continue
        if ch in _CONTROLS:
            continue
        folded = _compat(ch)
        if len(folded) > 1:
            if growth + len(folded) - 1 > MAX_GROWTH:
                folded = ch
            else:
                growth += len(folded) - 1
        for out in folded:
            chars.append(out)
            starts.append(i)
            ends.append(i + 1)
    folded, lookalike = _fold_lookalikes("".join(chars), starts, ends)
    result = Normalised(
        text=folded, original=text, starts=starts, ends=ends, hidden=hidden, lookalike=lookalike
    )
    _refang(result)
    return result


def _assert_same_fold(text: str) -> None:
    new, old = normalise(text), _old_normalise(text)
    assert (new.text, new.starts, new.ends, new.hidden, new.lookalike) == (
        old.text,
        old.starts,
        old.ends,
        old.hidden,
        old.lookalike,
    ), text


@pytest.mark.parametrize("chunk", range(4))
def test_the_fold_agrees_with_the_old_one_on_the_dataset(chunk: int) -> None:
    for text in TEXTS[chunk::4]:
        _assert_same_fold(text)


_PIECES = st.sampled_from(
    [
        "a", "B", "1", " ", "\n", ".", "[.]", " dot com", "hxxps://", "evil", "\u200b", "\u202e",
        "\u0430", "\u0441", "\uff33", "\ufb01", "\ufdfa", "\u00ad", "e\u0301", "\u2019", "\u2026",
        "\u00e9", "\U0001f64c", "\u3042", "\u2122", "\uff0e", "x[at]y", " hyphen ",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join) | st.text(max_size=200))
def test_the_fold_agrees_with_the_old_one_on_random_text(text: str) -> None:
    _assert_same_fold(text)


def test_the_fold_agrees_past_the_growth_budget() -> None:
    _assert_same_fold("a\ufb03 " * (MAX_GROWTH + 50) + "evil[.]com \u0430bc")


def test_the_trusted_text_is_the_old_one_on_the_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Old: the fields joined first, then normalised as one text."""
    requests = [
        AnalyzeRequest.model_validate(
            {k: case[k] for k in ("draft", "context", "original") if case.get(k)}
        )
        for case in CASES
    ]
    pairs = [(r.context, o) for r in requests for o in (r.original, r.draft)]
    new = [trusted_corpus(context, original) for context, original in pairs]
    monkeypatch.setattr(_provenance, "clean_fields", lambda *fields: clean("\n".join(fields)))
    old = [trusted_corpus(context, original) for context, original in pairs]
    assert len(new) > 4_000
    assert new == old


def test_a_defanged_link_is_not_pieced_together_across_fields() -> None:
    assert clean("acme\n[.]com") == "acme.com"
    assert clean_fields("acme", "[.]com") == "acme\n[.]com"
    assert clean_fields("see hxxps://evil[.]com", "") == "see https://evil.com\n"


def _normalised_in(monkeypatch: pytest.MonkeyPatch, draft: Message, **kwargs: Any) -> Counter[str]:
    seen: Counter[str] = Counter()
    real = _normalize._normalise

    def counting(text: str) -> Normalised:
        seen[text] += 1
        return real(text)

    monkeypatch.setattr(_normalize, "_normalise", counting)
    for cached in (
        _fact_extract.support_keys,
        _provenance.untrusted_keys,
        _provenance.private_keys,
    ):
        cached.cache_clear()
    analyze(draft, **kwargs)
    monkeypatch.undo()
    return seen


# The `fields` family by a stride: every unit and field still comes up (22 per unit).
_FAMILIES = adversarial_cases(2_000, phrases=3) + field_cases(2_000)[::5]


@pytest.mark.parametrize("family", sorted({f for f, _, _ in _FAMILIES}))
def test_each_text_is_normalised_once_per_analysis(
    family: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the guard reads a rewrite of the same text, the body is normalised once, and the
    characters normalised in all are at most the request's texts (the CRM fields as JSON).
    """
    for _, _, payload in (c for c in _FAMILIES if c[0] == family):
        request = AnalyzeRequest.model_validate(payload)
        seen = _normalised_in(
            monkeypatch, request.draft, context=request.context, original=request.draft
        )
        assert set(seen.values()) == {1}, [t[:40] for t, n in seen.items() if n > 1]
        # A draft past the original's digit budget is read as the original only up to
        # the cut (_bounds.py): that shorter text is another text, normalised once too.
        body, cut = request.draft.body, bound_original(request.draft)
        context = request.context
        size = len(body) + (len(cut.body) if cut and cut.body != body else 0)
        size += len(json.dumps(context.model_dump() if context else {}))
        # The draft is the original here, so its subject is read too; and the party
        # names are read once more joined as one text (disparagement's known names,
        # _disparagement.py): 2,000-character names in the `fields` family show both.
        size += len(request.draft.subject or "") + len(" ".join(_party_names(context)))
        assert sum(map(len, seen)) <= size + 200


def _party_names(context: Context | None) -> list[str]:
    people = [context.prospect, context.sender] if context else []
    return [n for p in people if p for n in (p.name, p.company) if n]


def test_nothing_is_kept_between_analyses(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "Hi Dana, see evil[.]com \u0430nd 555\u200b0143."
    first = _normalised_in(monkeypatch, Message(body=body), original=Message(body=body))
    again = _normalised_in(monkeypatch, Message(body=body), original=Message(body=body))
    assert first[body] == again[body] == 1
    assert _normalize._MEMO.get() is None
    with normalise_scope():
        assert normalise(body) is normalise(body)
    assert normalise(body) is not normalise(body)

"""The bench's pattern sweep and `fields` family: what they time is what the code runs.

No timing here (bench/_sweep.py reports it): the allow-list names patterns that
exist and are only ever called the way it says, every pattern of service/ is
swept, and the `fields` requests are valid at the API's limits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import _sweep
from bench._adversarial import BODY_LIMIT, MAX_FIELD, SHORT_FIELDS, field_cases
from service.models import AnalyzeRequest, RewriteRequest

pytestmark = pytest.mark.unit

_ROOT = Path(__file__).resolve().parents[2]


def _defining_file(qualified: str) -> tuple[Path, str]:
    module, _, name = qualified.rpartition(".")
    return _ROOT / (module.replace(".", "/") + ".py"), name


def test_every_allowed_pattern_is_in_the_code() -> None:
    assert set(_sweep.ALLOWED) <= set(_sweep._swept())


@pytest.mark.parametrize(
    "name", sorted(n for n, (_, how) in _sweep.ALLOWED.items() if how == "untimed")
)
def test_an_untimed_entry_is_an_inline_call(name: str) -> None:
    assert name in _sweep.inline_patterns()


@pytest.mark.parametrize(
    "qualified", sorted(n for n, (_, how) in _sweep.ALLOWED.items() if how == "match")
)
def test_an_anchored_pattern_is_only_ever_matched(qualified: str) -> None:
    """Each use of the name in its module is `NAME.match(`, and no other module uses it."""
    path, name = _defining_file(qualified)
    source = path.read_text(encoding="utf-8")
    uses = [m.start() for m in re.finditer(rf"\b{re.escape(name)}\b(?!\s*=[^=])", source)]
    assert uses, qualified
    assert all(source.startswith(f"{name}.match(", at) for at in uses), qualified
    _assert_private(qualified, path, name)


@pytest.mark.parametrize(
    "qualified",
    sorted(n for n, (_, how) in _sweep.ALLOWED.items() if how not in {"match", "untimed"}),
)
def test_a_wrapped_pattern_is_timed_through_its_wrapper(qualified: str) -> None:
    """The wrapper exists, and no other module reaches the pattern past it."""
    how = _sweep.ALLOWED[qualified][1]
    run = _sweep._resolve(how)
    assert callable(run)
    sample = "write to dana@miles.example or see https://miles.example, $1,200\naccuracy: 5"
    assert list(run(sample)) != []
    path, name = _defining_file(qualified)
    _assert_private(qualified, path, name)


def _assert_private(qualified: str, path: Path, name: str) -> None:
    """No other module of service/ imports the name or reads it off the module."""
    module = qualified.rpartition(".")[0]
    word = rf"\b{re.escape(name)}\b"
    reached = re.compile(
        rf"from {re.escape(module)} import (?:\([^)]*|[^\n]*){word}"
        rf"|\b{re.escape(module.rpartition('.')[2])}\.{re.escape(name)}\b"
    )
    for other in (_ROOT / "service").rglob("*.py"):
        if other != path:
            assert not reached.search(other.read_text(encoding="utf-8")), (qualified, other)


def test_the_sweep_takes_every_module_pattern_and_inline_literal() -> None:
    swept = _sweep._swept()
    for name, (pattern, how) in swept.items():
        assert isinstance(pattern, re.Pattern)
        assert how in {"search", "first", "match"} or name in _sweep.ALLOWED, name
    assert "service.editor._parse._GREETING" in swept
    assert any(name.startswith("service.editor._tidy re.sub(") for name in swept)


def test_the_runs_are_distinct_and_full_size() -> None:
    corpus = list(_sweep.texts())
    labels = [label for label, _ in corpus]
    assert len(labels) == len(set(labels))
    assert {len(text) for _, text in corpus} == {_sweep.SIZE}


def test_the_fields_family_is_valid_at_the_limits() -> None:
    found = field_cases()
    assert 100 <= len(found) <= 160
    for _, name, payload in found:
        AnalyzeRequest.model_validate(payload)
        RewriteRequest.model_validate(payload)
        assert len(json.dumps(payload, ensure_ascii=False).encode()) <= BODY_LIMIT, name
    every = next(p for _, n, p in found if "every field" in n)
    context, draft = every["context"], every["draft"]
    for field in SHORT_FIELDS:
        section, _, key = field.rpartition(".")
        holder = draft if section == "draft" else context.get(section) if section else context
        assert len(holder[key]) == MAX_FIELD, field

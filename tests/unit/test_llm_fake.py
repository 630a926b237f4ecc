"""FakeChatModel: the scripted stand-in every pipeline test relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.llm import (
    ChatModel,
    FakeChatModel,
    FakeQueueEmpty,
    ModelAnswer,
    ModelParams,
    ModelUnavailable,
)
from service.llm._fake import split_text
from service.models import Usage
from tests._llm_fixtures import MESSAGES

pytestmark = pytest.mark.unit

PARAMS = ModelParams()


async def test_answers_come_out_in_order_and_calls_are_recorded() -> None:
    fake = FakeChatModel(["first", "second"], name="scripted")
    one = await fake.complete(MESSAGES, params=PARAMS)
    two = await fake.complete(MESSAGES[:1], params=ModelParams(max_tokens=5))
    assert (one.text, one.finish_reason, one.model) == ("first", "stop", "scripted")
    assert two.text == "second"
    assert [c.messages for c in fake.calls] == [tuple(MESSAGES), tuple(MESSAGES[:1])]
    assert fake.calls[1].params.max_tokens == 5
    assert fake.remaining == 0
    assert one.usage.total_tokens > 0


async def test_model_answers_pass_through_unchanged() -> None:
    scripted = ModelAnswer(
        text="cut", finish_reason="length", model="m", usage=Usage(total_tokens=9)
    )
    fake = FakeChatModel([scripted])
    assert await fake.complete(MESSAGES, params=PARAMS) is scripted


async def test_queued_exceptions_are_raised_in_turn() -> None:
    fake = FakeChatModel([ModelUnavailable("down"), "back"])
    with pytest.raises(ModelUnavailable, match="down"):
        await fake.complete(MESSAGES, params=PARAMS)
    assert (await fake.complete(MESSAGES, params=PARAMS)).text == "back"
    assert len(fake.calls) == 2


async def test_empty_queue_fails_clearly() -> None:
    fake = FakeChatModel(["only one"])
    await fake.complete(MESSAGES, params=PARAMS)
    with pytest.raises(FakeQueueEmpty, match=r"call #2 but only 1 answer\(s\) were scripted"):
        await fake.complete(MESSAGES, params=PARAMS)


async def test_stream_yields_several_deltas_then_the_answer() -> None:
    text = "Hi Dana, a quick idea on balancing stock across the new stores."
    fake = FakeChatModel([text])
    items = [item async for item in fake.stream(MESSAGES, params=PARAMS)]
    *deltas, final = items
    assert all(isinstance(d, str) for d in deltas)
    assert len(deltas) > 1
    assert "".join(str(d) for d in deltas) == text
    assert isinstance(final, ModelAnswer)
    assert final.text == text
    assert fake.calls[0].streamed


async def test_stream_raises_queued_exception_before_any_delta() -> None:
    fake = FakeChatModel([ModelUnavailable("down")])
    stream = fake.stream(MESSAGES, params=PARAMS)
    with pytest.raises(ModelUnavailable):
        await anext(stream)


def test_fake_satisfies_the_port() -> None:
    model: ChatModel = FakeChatModel(name="typed")
    assert model.name == "typed"


@given(st.text(alphabet=st.sampled_from("ab .\n"), max_size=40), st.integers(1, 6))
def test_split_text_round_trips(text: str, pieces: int) -> None:
    parts = split_text(text, pieces)
    assert "".join(parts) == text
    assert all(parts)
    assert len(parts) <= pieces

"""Shared fixtures. Test settings are fixed here, before any app import reads them."""

from __future__ import annotations

import os

# The app must never start the embedded model or reach a real endpoint by accident.
os.environ.setdefault("TACTFUL_EMBEDDED_MODEL", "off")
os.environ.pop("OPENAI_BASE_URL", None)
os.environ.pop("REDIS_URL", None)

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api.app import create_app
from service.llm import FakeChatModel
from service.models import Context, Message, RewriteRequest
from service.settings import Settings

DANA_CONTEXT = {
    "prospect": {"name": "Dana Miles", "company": "Miles Outfitters", "role": "Ops lead"},
    "goal": "keep stock balanced across three new stores",
    "notes": "Met at the retail expo; she said weekly transfers between stores eat her Mondays.",
    "prospect_messages": ["We open the third store in March and I can't babysit spreadsheets."],
    "history": {
        "touches_since_reply": 1,
        "days_since_reply": 6,
        "stage": "first_meeting",
        "agreed_next_step": None,
    },
    "sender": {"name": "Chris", "company": "Stockwise", "offer": "inventory planning"},
}

PUSHY_DRAFT = (
    "Hi Dana, I've reached out three times and haven't heard back. Our industry-leading "
    "platform is the best-in-class solution. This offer expires Friday, so are you ready "
    "to move forward? Reply YES to sign."
)

GOOD_ANSWER = (
    "<subject>An idea for the three new stores</subject>\n<body>\nHi Dana,\n\n"
    "You mentioned that weekly transfers between stores eat your Mondays. One approach that "
    "helps teams opening a third store is to set a simple reorder point per store, so "
    "transfers happen only when a shelf actually runs low.\n\n"
    "Would it help if I sketched what that could look like for your stores?\n\nChris\n</body>\n"
    "<changes>\nguilt_trip | no_guilt | I've reached out three times => (removed)\n</changes>"
)

BAD_ANSWER = (
    "<subject>Last chance</subject>\n<body>\nHi Dana, I've emailed you three times and you "
    "never replied. This offer expires Friday. Are you ready to sign today?\n</body>"
)


@pytest.fixture
def settings() -> Settings:
    return Settings(embedded_model="off", cache_ttl_s=300)


@pytest.fixture
def context() -> Context:
    return Context.model_validate(DANA_CONTEXT)


@pytest.fixture
def pushy_request() -> RewriteRequest:
    return RewriteRequest(
        draft=Message(channel="email", subject="Following up", body=PUSHY_DRAFT),
        context=Context.model_validate(DANA_CONTEXT),
    )


def make_app(settings: Settings, model: FakeChatModel | None = None) -> Litestar:
    return create_app(settings, model=model, use_model=model is not None)


@pytest.fixture
async def composer_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An app with no model at all: every rewrite comes from the composer."""
    async with AsyncTestClient(app=make_app(settings)) as client:
        yield client

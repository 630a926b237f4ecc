"""The model layer: one port (`ChatModel`), one real adapter, a fake, the embedded default.

Wiring (done by the app lifespan): with `OPENAI_BASE_URL` (or OpenAI itself)
configured, `build_openai_client` -> `OpenAIChatModel`; with nothing
configured, start `EmbeddedServer` and point the same adapter at its
`base_url`. Callers only ever catch `ModelUnavailable` / `ModelRejected`.
"""

from service.llm._client import (
    Transport,
    build_aiohttp_client,
    build_http_client,
    build_openai_client,
)
from service.llm._embedded import EmbeddedModelError, EmbeddedServer, locate_embedded_gguf
from service.llm._fake import FakeCall, FakeChatModel, FakeQueueEmpty
from service.llm._openai import OpenAIChatModel
from service.llm._port import (
    ChatMessage,
    ChatModel,
    ModelAnswer,
    ModelError,
    ModelParams,
    ModelRejected,
    ModelUnavailable,
)

__all__ = [
    "ChatMessage",
    "ChatModel",
    "EmbeddedModelError",
    "EmbeddedServer",
    "FakeCall",
    "FakeChatModel",
    "FakeQueueEmpty",
    "ModelAnswer",
    "ModelError",
    "ModelParams",
    "ModelRejected",
    "ModelUnavailable",
    "OpenAIChatModel",
    "Transport",
    "build_aiohttp_client",
    "build_http_client",
    "build_openai_client",
    "locate_embedded_gguf",
]

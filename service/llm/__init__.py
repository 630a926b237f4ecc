"""The model layer: one port (`ChatModel`), one real adapter, a fake, the embedded default.

Wiring (done by the app lifespan): with `OPENAI_BASE_URL` (or OpenAI itself)
configured, `build_openai_client` -> `OpenAIChatModel`; with nothing
configured, start `EmbeddedServer` and point the same adapter at its
`base_url`. Callers only ever catch `ModelUnavailable` / `ModelRejected`.
"""

from service.llm._breaker import BreakerSnapshot, BreakerState, CircuitBreaker
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
    ModelCircuitOpen,
    ModelError,
    ModelParams,
    ModelRejected,
    ModelUnavailable,
    degraded_reason,
)

__all__ = [
    "BreakerSnapshot",
    "BreakerState",
    "ChatMessage",
    "ChatModel",
    "CircuitBreaker",
    "EmbeddedModelError",
    "EmbeddedServer",
    "FakeCall",
    "FakeChatModel",
    "FakeQueueEmpty",
    "ModelAnswer",
    "ModelCircuitOpen",
    "ModelError",
    "ModelParams",
    "ModelRejected",
    "ModelUnavailable",
    "OpenAIChatModel",
    "Transport",
    "build_aiohttp_client",
    "build_http_client",
    "build_openai_client",
    "degraded_reason",
    "locate_embedded_gguf",
]

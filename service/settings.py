"""Settings: one typed object, read once from the environment.

A `.env` file is not read: real environment variables are the only source, so
nothing on disk can silently override what an operator set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_MODEL_TIMEOUT_S = 20.0
DEFAULT_MODEL_DEADLINE_S = 45.0
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_CACHE_TTL_S = 300
DEFAULT_MODEL_MAX_ATTEMPTS = 3
DEFAULT_MAX_JSON_DEPTH = 32
DEFAULT_MAX_TOKENS = 600
DEFAULT_TEMPERATURE = 0.3
# The model name when the setting is unset and a remote endpoint is configured.
DEFAULT_REMOTE_MODEL = "gpt-4o-mini"
DEFAULT_MODEL_BACKOFF_INITIAL_S = 0.5
DEFAULT_MODEL_BACKOFF_MAX_S = 8.0
DEFAULT_MODEL_RETRY_AFTER_CAP_S = 10.0
DEFAULT_MODEL_BREAKER_FAILURES = 5
DEFAULT_MODEL_BREAKER_RESET_S = 30.0
DEFAULT_MODEL_MAX_CONNECTIONS = 1000
DEFAULT_MODEL_CONNECT_TIMEOUT_S = 5.0
DEFAULT_GC_THRESHOLDS = (20_000, 20, 20)


@dataclass(frozen=True, slots=True)
class Env:
    """Field metadata: the environment variable's name when it is not `TACTFUL_<FIELD>`."""

    name: str


class Settings(BaseModel):
    """Every setting, declared once: its type, bounds and default here; its environment
    variable is `TACTFUL_<FIELD>` unless the field carries an `Env(...)` marker.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- model endpoint (any OpenAI-compatible server) ---
    # OPENAI_* keep the SDK's own names.
    openai_base_url: Annotated[str | None, Env("OPENAI_BASE_URL")] = None
    openai_api_key: Annotated[str | None, Env("OPENAI_API_KEY"), Field(repr=False)] = None
    # None: DEFAULT_REMOTE_MODEL for a remote endpoint, SmolLM2 when embedded.
    model: str | None = None
    # One attempt's ceiling; the deadline bounds a whole call (attempts + waits).
    model_timeout_s: Annotated[float, Field(gt=0)] = DEFAULT_MODEL_TIMEOUT_S
    model_deadline_s: Annotated[float, Field(gt=0)] = DEFAULT_MODEL_DEADLINE_S
    model_max_attempts: Annotated[int, Field(ge=1, le=10)] = DEFAULT_MODEL_MAX_ATTEMPTS
    # Jittered exponential backoff between attempts when the server names no wait.
    model_backoff_initial_s: Annotated[float, Field(ge=0)] = DEFAULT_MODEL_BACKOFF_INITIAL_S
    model_backoff_max_s: Annotated[float, Field(ge=0)] = DEFAULT_MODEL_BACKOFF_MAX_S
    # A longer server-directed wait (Retry-After) degrades the request at once and
    # pauses calls to the endpoint until then, instead of holding the request.
    model_retry_after_cap_s: Annotated[float, Field(ge=0)] = DEFAULT_MODEL_RETRY_AFTER_CAP_S
    # Circuit breaker: this many failed attempts in a row open it; after the reset
    # time one probe call goes through.
    model_breaker_failures: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_MODEL_BREAKER_FAILURES
    model_breaker_reset_s: Annotated[float, Field(ge=0)] = DEFAULT_MODEL_BREAKER_RESET_S
    # A 1,000-request burst must not queue in waves behind the pool (bench/).
    model_max_connections: Annotated[int, Field(ge=1)] = DEFAULT_MODEL_MAX_CONNECTIONS
    model_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    max_tokens: Annotated[int, Field(ge=16, le=8192)] = DEFAULT_MAX_TOKENS
    temperature: Annotated[float, Field(ge=0, le=2)] = DEFAULT_TEMPERATURE
    # "off" (default): with no base URL, no model is on the request path; the
    # draft-preserving editor answers in milliseconds. "on" (alias "auto"): start the
    # embedded SmolLM2 server when no base URL is set (needs the [local] extra). Measured:
    # its answers were never usable (0 of 180), so it is an opt-in for tests and experiments.
    embedded_model: Literal["on", "auto", "off"] = "off"
    embedded_max_tokens: Annotated[int, Field(ge=16, le=4096)] = 256
    # The local server answers one request at a time on CPU: allow it longer.
    embedded_timeout_s: Annotated[float, Field(gt=0)] = 60.0
    embedded_deadline_s: Annotated[float, Field(gt=0)] = 120.0

    # --- shared state ---
    redis_url: Annotated[str | None, Env("REDIS_URL")] = None
    cache_ttl_s: Annotated[int, Field(ge=0)] = DEFAULT_CACHE_TTL_S
    # Every key this service writes starts with "<prefix>:" (tests use a unique prefix).
    redis_prefix: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")] = "tactful"
    # Short on purpose: a slow Redis must not hold a request; failures fall back (see store).
    redis_timeout_s: Annotated[float, Field(gt=0)] = 0.5
    idempotency_ttl_s: Annotated[int, Field(ge=60)] = 24 * 3600

    # --- security: API keys (in Redis when REDIS_URL is set, else this file) and limits ---
    api_keys_file: str | None = None
    # Always demand a key (set by `tactful serve` for non-loopback binds). Otherwise a key is
    # demanded as soon as one exists in the key store.
    require_api_key: bool = False
    # Feedback without Redis is appended (fsync'd) to this JSONL file.
    feedback_file: str | None = None
    # How long feedback is accepted for a rewrite id (the id's owner is kept this long).
    feedback_window_s: Annotated[int, Field(ge=60)] = 7 * 24 * 3600
    # GCRA limits: a sustained rate per minute plus an allowed burst, per API key (per IP
    # without one). /v1/analyze runs on every keystroke pause, so its limit is far larger.
    rate_rewrite_per_min: Annotated[float, Field(gt=0)] = 60
    rate_rewrite_burst: Annotated[int, Field(ge=1)] = 10
    rate_analyze_per_min: Annotated[float, Field(gt=0)] = 600
    rate_analyze_burst: Annotated[int, Field(ge=1)] = 60
    rate_default_per_min: Annotated[float, Field(gt=0)] = 120
    rate_default_burst: Annotated[int, Field(ge=1)] = 30

    # --- batches (SAQ queue on the same Redis) ---
    batch_max_items: Annotated[int, Field(ge=1, le=500)] = 500
    batch_max_body_bytes: Annotated[int, Field(ge=1024)] = 4 * 1024 * 1024
    batch_ttl_s: Annotated[int, Field(ge=60)] = 24 * 3600
    batch_item_attempts: Annotated[int, Field(ge=1, le=10)] = 5
    # A worker that stops sending heartbeats for this long is presumed dead: its item
    # is swept and retried by another worker.
    batch_heartbeat_s: Annotated[int, Field(ge=1)] = 15
    worker_concurrency: Annotated[int, Field(ge=1, le=200)] = 4
    worker_sweep_s: Annotated[int, Field(ge=1)] = 5

    # --- HTTP ---
    # Encoded /v1/analyze answers remembered per process (LRU entries; 0 disables).
    analyze_memo_size: Annotated[int, Field(ge=0)] = 4096
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: Annotated[int, Field(ge=1024)] = DEFAULT_MAX_BODY_BYTES
    # Deepest JSON nesting accepted in a request body (ours need ~6), checked before parsing.
    max_json_depth: Annotated[int, Field(ge=8, le=256)] = DEFAULT_MAX_JSON_DEPTH
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The cyclic GC's thresholds once the app has started ("gen0,gen1,gen2"; Python's
    # own are 700,10,10). The analyzer's per-text caches hold tens of thousands of
    # small frozensets and tuples that each young-generation pass re-scans: at 700 a
    # pass lands on about 1 request in 100 and costs 15-40 ms (bench/README.md
    # finding 18). Request garbage is freed by reference counting, not by the GC.
    gc_thresholds: tuple[
        Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]
    ] = DEFAULT_GC_THRESHOLDS

    @field_validator("gc_thresholds", mode="before")
    @classmethod
    def _split_thresholds(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(","))
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @property
    def uses_embedded_model(self) -> bool:
        return self.openai_base_url is None and self.embedded_model in ("on", "auto")


def env_name(field: str) -> str:
    """The variable that sets `field`: `TACTFUL_<FIELD>` unless the field names its own."""
    for meta in Settings.model_fields[field].metadata:
        if isinstance(meta, Env):
            return meta.name
    return f"TACTFUL_{field.upper()}"


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (os.environ by default)."""
    env = os.environ if environ is None else environ
    names = {field: env_name(field) for field in Settings.model_fields}
    values = {field: env[name] for field, name in names.items() if env.get(name, "") != ""}
    return Settings.model_validate(values)


@cache
def get_settings() -> Settings:
    """The settings, read from the environment once per process."""
    return settings_from_env()

"""Settings: one typed object, read once from the environment.

A `.env` file is not read: real environment variables are the only source, so
nothing on disk can silently override what an operator set.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_MODEL_TIMEOUT_S = 20.0
DEFAULT_MODEL_DEADLINE_S = 45.0
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_CACHE_TTL_S = 300


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- model endpoint (any OpenAI-compatible server) ---
    openai_base_url: str | None = None
    openai_api_key: str | None = Field(default=None, repr=False)
    model: str | None = None  # None: "gpt-4o-mini" for a remote endpoint, SmolLM2 when embedded
    model_timeout_s: Annotated[float, Field(gt=0)] = DEFAULT_MODEL_TIMEOUT_S
    model_deadline_s: Annotated[float, Field(gt=0)] = DEFAULT_MODEL_DEADLINE_S
    model_max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    model_max_connections: Annotated[int, Field(ge=1)] = 200
    max_tokens: Annotated[int, Field(ge=16, le=8192)] = 600
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.3
    # "auto": start the embedded SmolLM2 server when no base URL is set; "off": never
    # (then rewrites use the composer only and say so).
    embedded_model: Literal["auto", "off"] = "auto"
    embedded_max_tokens: Annotated[int, Field(ge=16, le=4096)] = 320

    # --- shared state ---
    redis_url: str | None = None
    cache_ttl_s: Annotated[int, Field(ge=0)] = DEFAULT_CACHE_TTL_S

    # --- HTTP ---
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: Annotated[int, Field(ge=1024)] = DEFAULT_MAX_BODY_BYTES
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @property
    def uses_embedded_model(self) -> bool:
        return self.openai_base_url is None and self.embedded_model == "auto"


# Environment variable -> settings field. OPENAI_* keep the SDK's own names.
_ENV: dict[str, str] = {
    "OPENAI_BASE_URL": "openai_base_url",
    "OPENAI_API_KEY": "openai_api_key",
    "TACTFUL_MODEL": "model",
    "TACTFUL_MODEL_TIMEOUT_S": "model_timeout_s",
    "TACTFUL_MODEL_DEADLINE_S": "model_deadline_s",
    "TACTFUL_MODEL_MAX_ATTEMPTS": "model_max_attempts",
    "TACTFUL_MODEL_MAX_CONNECTIONS": "model_max_connections",
    "TACTFUL_MAX_TOKENS": "max_tokens",
    "TACTFUL_TEMPERATURE": "temperature",
    "TACTFUL_EMBEDDED_MODEL": "embedded_model",
    "TACTFUL_EMBEDDED_MAX_TOKENS": "embedded_max_tokens",
    "REDIS_URL": "redis_url",
    "TACTFUL_CACHE_TTL_S": "cache_ttl_s",
    "TACTFUL_CORS_ORIGINS": "cors_origins",
    "TACTFUL_MAX_BODY_BYTES": "max_body_bytes",
    "TACTFUL_LOG_LEVEL": "log_level",
}


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (os.environ by default)."""
    env = os.environ if environ is None else environ
    values = {field: env[name] for name, field in _ENV.items() if env.get(name, "") != ""}
    return Settings.model_validate(values)


@cache
def get_settings() -> Settings:
    return settings_from_env()

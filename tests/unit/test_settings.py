"""Settings: one declaration per field, read from the real environment only."""

from __future__ import annotations

import pytest

from service.settings import Settings, env_name, settings_from_env

pytestmark = pytest.mark.unit

# The names operators use (README's configuration table): renaming one breaks a deployment.
ENV_NAMES = (
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "TACTFUL_MODEL",
    "TACTFUL_MODEL_TIMEOUT_S",
    "TACTFUL_MODEL_DEADLINE_S",
    "TACTFUL_MODEL_MAX_ATTEMPTS",
    "TACTFUL_MODEL_BACKOFF_INITIAL_S",
    "TACTFUL_MODEL_BACKOFF_MAX_S",
    "TACTFUL_MODEL_RETRY_AFTER_CAP_S",
    "TACTFUL_MODEL_BREAKER_FAILURES",
    "TACTFUL_MODEL_BREAKER_RESET_S",
    "TACTFUL_MODEL_MAX_CONNECTIONS",
    "TACTFUL_MODEL_TRANSPORT",
    "TACTFUL_MAX_TOKENS",
    "TACTFUL_TEMPERATURE",
    "TACTFUL_EMBEDDED_MODEL",
    "TACTFUL_EMBEDDED_MAX_TOKENS",
    "TACTFUL_EMBEDDED_TIMEOUT_S",
    "TACTFUL_EMBEDDED_DEADLINE_S",
    "REDIS_URL",
    "TACTFUL_CACHE_TTL_S",
    "TACTFUL_REDIS_PREFIX",
    "TACTFUL_REDIS_TIMEOUT_S",
    "TACTFUL_IDEMPOTENCY_TTL_S",
    "TACTFUL_API_KEYS_FILE",
    "TACTFUL_REQUIRE_API_KEY",
    "TACTFUL_FEEDBACK_FILE",
    "TACTFUL_FEEDBACK_WINDOW_S",
    "TACTFUL_RATE_REWRITE_PER_MIN",
    "TACTFUL_RATE_REWRITE_BURST",
    "TACTFUL_RATE_ANALYZE_PER_MIN",
    "TACTFUL_RATE_ANALYZE_BURST",
    "TACTFUL_RATE_DEFAULT_PER_MIN",
    "TACTFUL_RATE_DEFAULT_BURST",
    "TACTFUL_BATCH_MAX_ITEMS",
    "TACTFUL_BATCH_MAX_BODY_BYTES",
    "TACTFUL_BATCH_TTL_S",
    "TACTFUL_BATCH_ITEM_ATTEMPTS",
    "TACTFUL_BATCH_HEARTBEAT_S",
    "TACTFUL_WORKER_CONCURRENCY",
    "TACTFUL_WORKER_SWEEP_S",
    "TACTFUL_ANALYZE_MEMO_SIZE",
    "TACTFUL_CORS_ORIGINS",
    "TACTFUL_MAX_BODY_BYTES",
    "TACTFUL_MAX_JSON_DEPTH",
    "TACTFUL_LOG_LEVEL",
    "TACTFUL_GC_THRESHOLDS",
)


def test_every_field_has_the_environment_variable_operators_know() -> None:
    assert sorted(env_name(field) for field in Settings.model_fields) == sorted(ENV_NAMES)


def test_values_are_read_by_their_variable_and_empty_means_unset() -> None:
    settings = settings_from_env(
        {
            "OPENAI_API_KEY": "sk-test",
            "REDIS_URL": "redis://127.0.0.1:6379/13",
            "TACTFUL_MAX_TOKENS": "120",
            "TACTFUL_CORS_ORIGINS": "https://a.example, https://b.example",
            "TACTFUL_MODEL": "",
            "TACTFUL_NOT_A_SETTING": "ignored",
        }
    )
    assert settings.openai_api_key == "sk-test"
    assert settings.redis_url == "redis://127.0.0.1:6379/13"
    assert settings.max_tokens == 120
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.model is None
    assert settings_from_env({}) == Settings()


def test_a_bad_value_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        settings_from_env({"TACTFUL_MAX_TOKENS": "5"})


def test_gc_thresholds_are_three_positive_counts() -> None:
    assert settings_from_env({"TACTFUL_GC_THRESHOLDS": "700, 10,10"}).gc_thresholds == (700, 10, 10)
    for bad in ("0,10,10", "700,10", "a,b,c"):
        with pytest.raises(ValueError, match="gc_thresholds"):
            settings_from_env({"TACTFUL_GC_THRESHOLDS": bad})

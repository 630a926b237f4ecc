"""API keys, authentication decisions, GCRA arithmetic, route policies, bind refusal, logs."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from service.observability import JsonFormatter, request_id_var
from service.security import bind_refusal, is_loopback, new_key
from service.security._auth import Authenticator, Denial, Principal, presented_key
from service.security._keys import FileKeyStore, digest, key_id, matches
from service.security._policy import policy_for
from service.security._ratelimit import Limit, MemoryLimiter
from service.settings import Settings

pytestmark = pytest.mark.unit
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the bind being refused


def test_new_keys_are_unique_hashed_and_carry_their_id() -> None:
    plaintext, record = new_key("crm")
    other, _ = new_key("crm")
    assert plaintext != other
    assert key_id(plaintext) == record.id
    assert record.digest == digest(plaintext)
    assert plaintext not in record.model_dump_json()
    assert "digest" not in record.public()
    assert matches(record, plaintext)
    assert not matches(record, other)


@pytest.mark.parametrize(
    "bad", ["", "tk_", "tk_zzzzzzzzzzzz_" + "a" * 40, "Bearer x", "tk_0123456789ab_short"]
)
def test_malformed_keys_have_no_id(bad: str) -> None:
    assert key_id(bad) is None


def test_presented_key_reads_bearer_or_x_api_key() -> None:
    assert presented_key({"authorization": "Bearer abc"}) == "abc"
    assert presented_key({"authorization": "bearer  abc "}) == "abc"
    assert presented_key({"x-api-key": "xyz"}) == "xyz"
    assert presented_key({"authorization": "Basic abc"}) is None
    assert presented_key({}) is None


async def _auth_with_keys(tmp_path: Path) -> tuple[Authenticator, FileKeyStore, str, str]:
    store = FileKeyStore(tmp_path / "keys.json")
    good, good_rec = new_key("crm")
    narrow, narrow_rec = new_key("extension", ("analyze",))
    await store.add(good_rec)
    await store.add(narrow_rec)
    return Authenticator(store), store, good, narrow


async def test_auth_status_codes(tmp_path: Path) -> None:
    auth, _, good, narrow = await _auth_with_keys(tmp_path)
    ok = await auth.authenticate({"authorization": f"Bearer {good}"}, "10.0.0.1", "rewrite")
    assert isinstance(ok, Principal)
    assert ok.subject == f"key:{key_id(good)}"

    missing = await auth.authenticate({}, "10.0.0.1", "rewrite")
    assert isinstance(missing, Denial)
    assert missing.status == 401
    assert "WWW-Authenticate" in missing.headers

    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    wrong = await auth.authenticate({"x-api-key": forged}, "10.0.0.1", "rewrite")
    assert isinstance(wrong, Denial)
    assert wrong.status == 401

    scoped = await auth.authenticate({"x-api-key": narrow}, "10.0.0.1", "rewrite")
    assert isinstance(scoped, Denial)
    assert scoped.status == 403
    assert isinstance(
        await auth.authenticate({"x-api-key": narrow}, "1.1.1.1", "analyze"), Principal
    )

    # Public routes accept anonymous callers even when keys exist; others need a key.
    anon = await auth.authenticate({}, "10.0.0.9", None, public=True)
    assert isinstance(anon, Principal)
    assert anon.subject == "ip:10.0.0.9"
    unlisted = await auth.authenticate({}, "10.0.0.9", None)
    assert isinstance(unlisted, Denial)
    assert unlisted.status == 401


async def test_revoked_key_is_403(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys.json")
    plaintext, record = new_key("crm")
    await store.add(record)
    assert await store.revoke(record.id)
    auth = Authenticator(store)
    denied = await auth.authenticate({"x-api-key": plaintext}, "10.0.0.1", "rewrite")
    assert isinstance(denied, Denial)
    assert denied.status == 403
    assert not await store.revoke("000000000000")


async def test_no_keys_means_open_by_ip_unless_forced(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys.json")
    open_auth = await Authenticator(store).authenticate({}, "127.0.0.1", "rewrite")
    assert isinstance(open_auth, Principal)
    assert open_auth.subject == "ip:127.0.0.1"
    forced = await Authenticator(store, always=True).authenticate({}, "127.0.0.1", "rewrite")
    assert isinstance(forced, Denial)
    assert forced.status == 401


def test_gcra_allows_a_burst_then_paces() -> None:
    limiter = MemoryLimiter()
    limit = Limit("t", per_min=60, burst=3)
    decisions = [limiter.check(limit, "a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    denied = decisions[3]
    assert denied.retry_after_s == 1
    headers = denied.headers()
    assert headers["Retry-After"] == "1"
    assert headers["RateLimit-Limit"] == "3"
    assert headers["RateLimit-Remaining"] == "0"
    # Another subject has its own bucket.
    assert limiter.check(limit, "b").allowed


def test_limit_arithmetic() -> None:
    limit = Limit("x", per_min=600, burst=60)
    assert limit.emission_ms == 100
    assert limit.tolerance_ms == 6000


@pytest.mark.parametrize(
    ("method", "template", "scope", "limit", "idempotent", "public"),
    [
        ("POST", "/v1/analyze", "analyze", "analyze", False, False),
        ("POST", "/v1/rewrites", "rewrite", "rewrite", True, False),
        ("POST", "/v1/feedback", "feedback", "default", True, False),
        ("POST", "/v1/rewrite-batches", "batch", "rewrite", True, False),
        ("GET", "/v1/rewrite-batches/{batch_id}", "batch", "default", False, False),
        ("GET", "/v1/rules", None, "default", False, True),
        ("GET", "/v1/strategies", None, "default", False, True),
        # A route nobody listed is never public by accident.
        ("POST", "/v1/something-new", None, "default", False, False),
    ],
)
def test_route_policies(
    method: str, template: str, scope: str | None, limit: str, idempotent: bool, public: bool
) -> None:
    policy = policy_for(method, template)
    assert policy is not None
    assert (policy.scope, policy.limit, policy.idempotent, policy.public) == (
        scope,
        limit,
        idempotent,
        public,
    )


@pytest.mark.parametrize("template", ["/health/live", "/health/ready", "/metrics", "/schema"])
def test_health_and_metrics_are_not_limited(template: str) -> None:
    assert policy_for("GET", template) is None
    assert policy_for("OPTIONS", "/v1/rewrites") is None  # CORS preflights carry no key


@pytest.mark.parametrize(
    ("host", "loop"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        (ALL_INTERFACES, False),
        ("10.1.2.3", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


async def test_bind_refusal(tmp_path: Path) -> None:
    bare = Settings(embedded_model="off")
    assert await bind_refusal(bare, "127.0.0.1") is None
    message = await bind_refusal(bare, ALL_INTERFACES)
    assert message is not None
    assert "no API keys" in message
    keyfile = tmp_path / "keys.json"
    with_file = Settings(embedded_model="off", api_keys_file=str(keyfile))
    assert await bind_refusal(with_file, ALL_INTERFACES) is not None  # file exists but is empty
    _, record = new_key("crm")
    await FileKeyStore(keyfile).add(record)
    assert await bind_refusal(with_file, ALL_INTERFACES) is None
    await FileKeyStore(keyfile).revoke(record.id)
    assert await bind_refusal(with_file, ALL_INTERFACES) is not None


def test_json_logs_carry_request_id_and_never_exception_text() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("tactful.test.json")
    log.handlers[:] = [handler]
    log.propagate = False
    token = request_id_var.set("req-123")
    try:
        try:
            raise ValueError("Hi Dana, secret draft text")
        except ValueError:
            log.exception("failed", extra={"route": "/v1/rewrites"})
    finally:
        request_id_var.reset(token)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-123"
    assert line["route"] == "/v1/rewrites"
    assert line["exc_type"] == "ValueError"
    assert "secret draft" not in stream.getvalue()

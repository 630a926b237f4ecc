"""When a key is required, and that auth fails closed (security/_auth.py's numbered rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.security import new_key
from service.security._auth import Authenticator, Denial, Principal
from service.security._keys import ApiKeyRecord, FileKeyStore
from service.security._media import is_json_media_type, media_refusal
from service.store import StoreUnavailable

pytestmark = pytest.mark.unit


class _Store:
    """A key store whose contents and reachability the test sets."""

    def __init__(self, records: list[ApiKeyRecord], *, down: bool = False) -> None:
        self.records = records
        self.down = down

    async def add(self, record: ApiKeyRecord) -> None:
        self.records.append(record)

    async def get(self, ident: str) -> ApiKeyRecord | None:
        if self.down:
            raise StoreUnavailable("down")
        return next((r for r in self.records if r.id == ident), None)

    async def revoke(self, ident: str) -> bool:
        return False

    async def all(self) -> list[ApiKeyRecord]:
        if self.down:
            raise StoreUnavailable("down")
        return list(self.records)


@pytest.fixture(autouse=True)
def _no_caching(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ask the store every time, so each step of a test sees the store as it is now."""
    monkeypatch.setattr("service.security._auth.REQUIRED_TTL_S", 0.0)


async def test_a_store_that_never_answered_lets_no_one_in() -> None:
    auth = Authenticator(_Store([], down=True))
    assert await auth.mode() == "unknown"
    anonymous = await auth.authenticate({}, "127.0.0.1", "rewrite")
    assert isinstance(anonymous, Denial)
    assert (anonymous.status, anonymous.headers["Retry-After"]) == (503, "2")
    key, _ = new_key("x")
    keyed = await auth.authenticate({"x-api-key": key}, "127.0.0.1", "rewrite")
    assert isinstance(keyed, Denial)
    assert keyed.status == 503
    # Public catalogues need no key at all.
    assert isinstance(await auth.authenticate({}, "127.0.0.1", None, public=True), Principal)


async def test_an_empty_store_is_keyless_until_it_cannot_be_read() -> None:
    store = _Store([])
    auth = Authenticator(store)
    assert await auth.mode() == "open"
    opened = await auth.authenticate({}, "127.0.0.1", "rewrite")
    assert opened == Principal(subject="ip:127.0.0.1", key_id=None)
    store.down = True  # a key may have been created meanwhile: fail closed
    assert await auth.mode() == "unknown"
    closed = await auth.authenticate({}, "127.0.0.1", "rewrite")
    assert isinstance(closed, Denial)
    assert closed.status == 503


async def test_a_store_that_held_keys_still_requires_one_when_down() -> None:
    key, record = new_key("crm")
    store = _Store([record])
    auth = Authenticator(store)
    assert isinstance(await auth.authenticate({"x-api-key": key}, "1.2.3.4", "rewrite"), Principal)
    store.down = True
    assert await auth.mode() == "required"
    missing = await auth.authenticate({}, "1.2.3.4", "rewrite")
    assert isinstance(missing, Denial)
    assert missing.status == 401


async def test_revoking_every_key_locks_the_api_it_does_not_open_it() -> None:
    key, record = new_key("crm")
    store = _Store([record.model_copy(update={"revoked_at": "2025-01-01T00:00:00+00:00"})])
    auth = Authenticator(store)
    assert await auth.mode() == "required"
    denied = await auth.authenticate({"x-api-key": key}, "1.2.3.4", "rewrite")
    assert isinstance(denied, Denial)
    assert denied.status == 403


async def test_an_unreadable_keys_file_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{not json", encoding="utf-8")
    auth = Authenticator(FileKeyStore(path))
    assert await auth.mode() == "unknown"
    denied = await auth.authenticate({}, "127.0.0.1", "analyze")
    assert isinstance(denied, Denial)
    assert denied.status == 503
    path.write_text('{"keys": [{"id": 3}]}', encoding="utf-8")
    with pytest.raises(StoreUnavailable):
        await FileKeyStore(path).all()


async def test_no_store_configured_is_keyless_and_forced_is_never() -> None:
    assert await Authenticator(None).mode() == "open"
    assert await Authenticator(None, always=True).mode() == "required"


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ('application/json; charset="UTF8"', True),
        ("application/merge-patch+json", True),
        ("application/json; charset=iso-8859-1", False),
        ("text/plain", False),
        ("text/plain; charset=utf-8", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
        ("application/jsonp", False),
        ("", False),
        (None, False),
    ],
)
def test_only_json_media_types_pass(content_type: str | None, ok: bool) -> None:
    assert is_json_media_type(content_type) is ok
    headers = {} if content_type is None else {"content-type": content_type}
    assert (media_refusal("POST", headers) is None) is ok
    assert media_refusal("GET", headers) is None  # no body to parse

"""/playground and the assets the API serves itself (no CDN: they must work offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from service.api.app import create_app
from service.api.playground import PLAYGROUND_CSP, STATIC_DIR
from service.settings import Settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client() -> TestClient:  # type: ignore[type-arg]
    return TestClient(app=create_app(Settings(), use_model=False))


def test_playground_page_is_self_contained(client: TestClient) -> None:  # type: ignore[type-arg]
    with client:
        page = client.get("/playground")
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == PLAYGROUND_CSP
        html = page.text
        for hook in ('data-tactful="draft"', 'data-tactful="api-key"', 'data-tactful="curl"'):
            assert hook in html
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs
        for ref in refs:
            assert ref.startswith("/"), f"{ref} is not served by the API"
            assert client.get(ref).status_code == 200, ref


def test_swagger_ui_uses_local_assets(client: TestClient) -> None:  # type: ignore[type-arg]
    with client:
        for path in ("/schema", "/schema/swagger"):
            html = client.get(path).text
            assert "SwaggerUIBundle" in html
            assert "cdn." not in html
            assert "https://" not in html
            for ref in re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html):
                assert client.get(ref).status_code == 200, ref
        assert client.get("/schema/openapi.json").json()["info"]["title"] == "Tactful"


@pytest.mark.parametrize("name", ["sse.js", "api.js", "coach.js"])
def test_playground_runs_the_extension_code(
    name: str,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    """One copy of the shared scripts: the playground serves extension/lib/ itself."""
    shared = (ROOT / "extension" / "lib" / name).read_bytes()
    with client as http:
        response = http.get(f"/playground/lib/{name}")
    assert response.status_code == 200
    assert response.content == shared
    assert not (STATIC_DIR / "playground" / "lib" / name).exists()

"""Deeply nested JSON is refused with 400 before any parser recurses into it."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.security._depth import json_depth_exceeds
from tests.conftest import PUSHY_DRAFT

pytestmark = pytest.mark.unit

JSON = {"content-type": "application/json"}


def nested(depth: int, opener: str = "[") -> bytes:
    if opener == "{":
        return ('{"a": ' * depth + "1" + "}" * depth).encode()
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize(
    ("body", "limit", "too_deep"),
    [
        pytest.param(b'{"a": [1, {"b": 2}]}', 3, False, id="shallow"),
        pytest.param(nested(3), 3, False, id="exactly-the-limit"),
        pytest.param(nested(4), 3, True, id="one-past-the-limit"),
        pytest.param(nested(40, "{"), 32, True, id="objects"),
        pytest.param(b"[" * 10 + b"]" * 10 + b"[" * 10 + b"]" * 10, 10, False, id="siblings"),
        pytest.param(b'{"s": "' + b"[" * 500 + b'"}', 3, False, id="brackets-inside-a-string"),
        pytest.param(b'{"s": "\\"[[[[[[", "t": 1}', 3, False, id="escaped-quote-in-string"),
        pytest.param(b'["x\\\\", [[[[[]]]]]]', 3, True, id="escaped-backslash-then-real-nesting"),
        pytest.param(b'"' + b"[" * 100, 3, True, id="unterminated-string-is-not-a-hiding-place"),
    ],
)
def test_depth_truth_table(body: bytes, limit: int, too_deep: bool) -> None:
    assert json_depth_exceeds(body, limit) is too_deep


def deep_body(depth: int) -> bytes:
    return b'{"draft": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("path", ["/v1/rewrites", "/v1/analyze", "/v1/feedback"])
@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "deep-1"}], ids=["plain", "idem"])
async def test_deep_json_under_the_size_limit_is_a_400_problem(
    composer_client: AsyncTestClient[Litestar], path: str, headers: dict[str, str]
) -> None:
    body = deep_body(5000)
    assert len(body) < 64 * 1024
    response = await composer_client.post(path, content=body, headers={**JSON, **headers})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "nests deeper than 32" in response.json()["detail"]


async def test_deep_json_in_a_stream_request_is_a_400_not_a_broken_stream(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    response = await composer_client.post(
        "/v1/rewrites", content=deep_body(3000), headers={**JSON, "accept": "text/event-stream"}
    )
    assert response.status_code == 400


async def test_a_normal_request_with_brackets_in_its_text_still_works(
    composer_client: AsyncTestClient[Litestar],
) -> None:
    draft = {"channel": "email", "subject": "[[[[", "body": PUSHY_DRAFT + " " + "[" * 200}
    response = await composer_client.post("/v1/analyze", json={"draft": draft})
    assert response.status_code == 200

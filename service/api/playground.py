"""`GET /playground` and the static assets the API serves itself.

The playground is one page to try the API on: a draft box, optional context, the
score and underlines as you type, a streamed rewrite, and the curl of each request.
It loads nothing from the network but this API: its scripts (shared verbatim with
the browser extension in `extension/lib/`) and a vendored Swagger UI (swagger-ui-dist,
copied by `npm run vendor:swagger`) are served from `service/api/static/`, so the
OpenAPI viewer at `/schema` works offline too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from service.api._contract import contract_document

STATIC_DIR = Path(__file__).parent / "static"
# The playground runs the extension's own scripts (one copy, read from the source tree
# like prompts/ and evals/): served at /static/playground/lib/.
EXTENSION_LIB = Path(__file__).resolve().parents[2] / "extension" / "lib"
STATIC_PATH = "/static"
SWAGGER_PATH = f"{STATIC_PATH}/swagger"

# Same origin only: the page talks to this API and loads nothing else.
PLAYGROUND_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@cache
def _page() -> bytes:
    return (STATIC_DIR / "playground" / "index.html").read_bytes()


@get("/playground", include_in_schema=False, sync_to_thread=False)
def playground() -> Response[bytes]:
    """The playground page (scripts: /static/playground/ and the extension's /playground/lib/)."""
    return Response(
        _page(),
        media_type=MediaType.HTML,
        headers={
            "Content-Security-Policy": PLAYGROUND_CSP,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def static_router() -> Router:
    """The static files of the playground and the offline Swagger UI."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        name="tactful-static",
        cache_control=CacheControlHeader(max_age=300),
        include_in_schema=False,
    )


def extension_lib_router() -> Router:
    """The extension's shared scripts (SSE parser, API client, coach) for the playground."""
    return create_static_files_router(
        path="/playground/lib",
        directories=[EXTENSION_LIB],
        name="tactful-extension-lib",
        cache_control=CacheControlHeader(max_age=300),
        include_in_schema=False,
    )


class _Contract:
    """Completes Litestar's generated document once (`contract_document`), then serves that."""

    def __init__(self) -> None:
        self._source: dict[str, Any] | None = None
        self._document: dict[str, Any] = {}

    def __call__(self, generated: dict[str, Any]) -> dict[str, Any]:
        if generated is not self._source:
            self._document = contract_document(generated)
            self._source = generated
        return self._document


_CONTRACT = _Contract()


class _ContractSwagger(SwaggerRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, _CONTRACT(openapi_schema))


class _ContractJson(JsonRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, _CONTRACT(openapi_schema))


class _ContractYaml(YamlRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, _CONTRACT(openapi_schema))


def openapi_render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI at /schema and /schema/swagger from local assets; JSON and YAML documents,
    each the completed contract (`service/api/_contract.py`), not Litestar's raw skeleton.
    """
    return [
        _ContractSwagger(
            path=["/", "/swagger"],
            js_url=f"{SWAGGER_PATH}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_PATH}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_PATH}/favicon-32x32.png'>",
        ),
        _ContractJson(),
        _ContractYaml(path=["/openapi.yaml", "/openapi.yml"]),
    ]


def playground_routes() -> list[ControllerRouterHandler]:
    """Route handlers to register on the app: the page and the static assets."""
    return [playground, static_router(), extension_lib_router()]

"""The house rules, recomputed from the source (docs/architecture.md).

The import graph of `service/` is read from the files (every `import`, at any
depth, including type-only ones): it must have no cycle, no lower package may
import a surface (`service.api`, `service.cli`), routes are declared only in
`service/api/`, no module is over 400 lines and no import is relative.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2] / "service"
SURFACES = ("service.api", "service.cli")
MAX_LINES = 400
ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "websocket"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The service modules `path` imports (a `from pkg import name` counts name if a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name in MODULES}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _owner(module: str) -> str:
    """The surface a module belongs to, if any."""
    return next((s for s in SURFACES if module == s or module.startswith(s + ".")), "")


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components: every one must be a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt == node:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert cycles == []


def _is_package_init(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def test_no_cycle_through_package_faces() -> None:
    """A package's `__init__` imported by its own submodule would be a cycle on import."""
    bad = [
        (name, dep)
        for name, deps in GRAPH.items()
        for dep in deps
        if _is_package_init(dep)
        and name.startswith(dep + ".")
        and dep != "service"
        and not name.endswith(".__main__")  # `python -m pkg` runs after pkg is imported
    ]
    assert bad == []


def test_lower_packages_import_no_surface() -> None:
    """Only the surfaces import `service.api` and `service.cli` (the CLI serves the API)."""
    bad = sorted(
        (name, dep)
        for name, deps in GRAPH.items()
        for dep in deps
        if _owner(dep) and not _owner(name)
    )
    assert bad == []


def test_the_api_does_not_import_the_cli() -> None:
    bad = sorted(
        (name, dep)
        for name, deps in GRAPH.items()
        if _owner(name) == "service.api"
        for dep in deps
        if _owner(dep) == "service.cli"
    )
    assert bad == []


def test_no_relative_imports() -> None:
    bad = [
        name
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert bad == []


def test_no_module_over_400_lines() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _declares_a_route(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    litestar_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "litestar"
        for alias in node.names
        if alias.name in ROUTE_DECORATORS
    }
    return bool(litestar_names)


def test_routes_are_declared_only_in_the_api() -> None:
    outside = [
        name
        for name, path in MODULES.items()
        if _declares_a_route(path) and _owner(name) != "service.api"
    ]
    assert outside == []


def test_the_graph_sees_the_layers() -> None:
    """Guard against a vacuous graph: the API does import the pipeline, which imports the guard."""
    assert "service.pipeline" in GRAPH["service.api.rewrites"]
    assert "service.guard" in GRAPH["service.pipeline._attempt"]

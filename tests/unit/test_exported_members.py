"""Each package's face: every name in `__all__` exists; the shrunk faces are exact.

As httpx's `test_exported_members.py` does, this keeps the faces honest. For
the packages in `SERVICE_ONLY` the face is exactly what the rest of `service/`
imports: a name only tests need stays in its private module.
"""

from __future__ import annotations

import ast
import importlib
import types
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.parent.name for p in (ROOT / "service").glob("*/__init__.py"))
# Faces shrunk to what the rest of `service/` imports (tests do not count).
SERVICE_ONLY = {"security", "store"}


def _imports_of(package: str, *, roots: tuple[str, ...]) -> set[str]:
    """Names imported from `service.<package>` by modules outside the package."""
    found: set[str] = set()
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            if path.is_relative_to(ROOT / "service" / package):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == f"service.{package}":
                    found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_exists(package: str) -> None:
    module = importlib.import_module(f"service.{package}")
    exported = getattr(module, "__all__", ())
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("package", sorted(SERVICE_ONLY))
def test_the_face_is_what_other_packages_import(package: str) -> None:
    module = importlib.import_module(f"service.{package}")
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(module.__all__)
    assert set(module.__all__) == _imports_of(package, roots=("service",))

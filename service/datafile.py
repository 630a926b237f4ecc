"""Reading the data files: one schema style, one error.

Every data file (lexicons, strategies, prompts, composer templates, editor
moves, eval thresholds and cases) is parsed here and validated by a pydantic
model that rejects unknown keys. Whatever goes wrong (the file cannot be read,
the TOML or JSON does not parse, the schema says no) comes out as one
`DataFileInvalid` naming the file, the place in it and the problem.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from service.errors import DataFileInvalid

M = TypeVar("M", bound=BaseModel)

# Pydantic's wording for the two mistakes people make most in a data file.
_PLAIN = {"extra_forbidden": "unknown key", "missing": "missing key"}


class Strict(BaseModel):
    """Base of every data-file schema: unknown keys are an error, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def place_of(loc: tuple[str | int, ...]) -> str:
    """A pydantic error location as a dotted path, list indices in brackets."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def invalid(file: str, exc: ValidationError, *, prefix: str = "") -> DataFileInvalid:
    """The first schema error of `exc` as a `DataFileInvalid` (`prefix` leads the place)."""
    err = exc.errors(include_url=False)[0]
    place = ".".join(p for p in (prefix, place_of(tuple(err["loc"]))) if p)
    if err["type"] in _PLAIN:
        problem = _PLAIN[err["type"]]
    elif err["type"] == "value_error" and "error" in err.get("ctx", {}):
        problem = str(err["ctx"]["error"])  # our own validators' sentence, without "Value error,"
    else:
        problem = err["msg"]
    if err["type"] in ("literal_error", "enum"):
        problem += f", not {err['input']!r}"
    return DataFileInvalid(file, place, problem)


def validate(model: type[M], data: Any, *, file: str, prefix: str = "") -> M:
    """`model.model_validate(data)`, a schema error raised as `DataFileInvalid`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(file, exc, prefix=prefix) from exc


def read_toml(path: Path, *, file: str | None = None) -> dict[str, Any]:
    """A TOML file's document; unreadable or malformed is `DataFileInvalid`."""
    name = file or path.name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileInvalid(name, "", f"cannot be read ({type(exc).__name__})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileInvalid(name, "", f"not valid TOML ({exc})") from exc


def load_toml(model: type[M], path: Path, *, file: str | None = None) -> M:
    """Read a TOML file and validate it against `model`."""
    name = file or path.name
    return validate(model, read_toml(path, file=name), file=name)

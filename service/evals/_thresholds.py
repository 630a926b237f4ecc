"""The one versioned thresholds file (`evals/thresholds.toml`), validated on load.

Each table is a suite; each key a metric (or metric family, such as
`rule_precision`) with either `min` or `max`. A key that no metric uses is an
error: a typo must not silently turn a gate off.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.datafile import read_toml
from service.errors import DataFileInvalid
from service.evals._results import Metric


@dataclass(frozen=True, slots=True)
class Bound:
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True, slots=True)
class Thresholds:
    version: int
    path: Path
    bounds: dict[str, dict[str, Bound]]  # suite -> key -> bound

    def apply(
        self, suite: str, metrics: list[Metric], *, known: frozenset[str] = frozenset()
    ) -> None:
        """Attach bounds to the metrics of `suite`.

        A key that neither a metric of this run nor `known` (keys the suite
        can produce in other modes, e.g. the judge) names raises.
        """
        table = self.bounds.get(suite, {})
        used: set[str] = set()
        for metric in metrics:
            key = metric.threshold_key or metric.name
            bound = table.get(key)
            if bound is None:
                continue
            used.add(key)
            metric.threshold_key = key
            metric.minimum, metric.maximum = bound.minimum, bound.maximum
        unused = sorted(set(table) - used - known)
        if unused and metrics:
            raise DataFileInvalid(
                self.path.name, suite, f"keys no metric uses: {', '.join(unused)}"
            )


def _bound(file: str, where: str, raw: Any) -> Bound:
    if not isinstance(raw, dict) or set(raw) - {"min", "max"} or len(raw) != 1:
        raise DataFileInvalid(file, where, "expected { min = x } or { max = x }")
    value = next(iter(raw.values()))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataFileInvalid(file, where, "the bound must be a number")
    if "min" in raw:
        return Bound(minimum=float(value), maximum=None)
    return Bound(minimum=None, maximum=float(value))


def load_thresholds(path: Path) -> Thresholds:
    """Read and check the thresholds file; a bad one is `DataFileInvalid`."""
    raw = read_toml(path)
    version = raw.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DataFileInvalid(path.name, "version", "a positive integer is required")
    bounds: dict[str, dict[str, Bound]] = {}
    for suite, table in raw.items():
        if not isinstance(table, dict):
            raise DataFileInvalid(path.name, suite, "must be a table")
        bounds[suite] = {
            key: _bound(path.name, f"{suite}.{key}", value) for key, value in table.items()
        }
    return Thresholds(version=version, path=path, bounds=bounds)

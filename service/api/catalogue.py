"""GET /v1/rules and GET /v1/strategies: what the analyzer checks and what it suggests."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get

from service.analysis import RULES
from service.strategies import catalogue


class CatalogueController(Controller):
    """The rule and strategy catalogues."""

    path = "/v1"
    tags = ["v1"]  # noqa: RUF012 - litestar reads a plain list

    @get("/rules", sync_to_thread=False, summary="The analyzer's rule catalogue")
    def rules(self) -> dict[str, Any]:
        """Every rule: id, severity, principle, title, description."""
        return {"rules": [rule.model_dump(mode="json") for rule in RULES]}

    @get("/strategies", sync_to_thread=False, summary="The follow-up strategies")
    def strategies(self) -> dict[str, Any]:
        """Every strategy the pipeline can pick."""
        return {"strategies": [s.model_dump(mode="json") for s in catalogue()]}

"""A frozen view of the five libraries used by one appraisal or run.

Methods stay pure: they receive parameters, rules and cases from a snapshot, never from the
database. The snapshot id (hash of the active versions) is pinned into every result.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["LibrarySnapshot"]

# Which model entry configures each approach (ids of files in models/).
METHOD_MODEL_IDS = {"cost": ("cost.cas",), "income": ("income.royalty", "income.direct"),
                    "market": ("market.grid",)}


@dataclass(frozen=True)
class LibrarySnapshot:
    snapshot_id: str
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    standards: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: pd.DataFrame | None = None

    def __hash__(self) -> int:  # frames are unhashable; the id identifies the snapshot
        return hash(self.snapshot_id)

    def model(self, model_id: str) -> dict[str, Any] | None:
        return self.models.get(model_id)

    def method_params(self, method: str) -> dict[str, Any] | None:
        """Models of an approach, by id (``{"cost.cas": {...}}``), or None for the method's own
        defaults."""
        found = {k: v for k, v in self.models.items() if v.get("method") == method}
        return {"models": found} if found else None

    def params_for(self, method: str) -> dict[str, Any] | None:
        """Library entries handed to an approach's ``appraise``: its model-library entries
        (``{"models": {id: entry}}``) and, for the approaches that score data quality (cost,
        market), the indicators library (``"indicators"``). Each approach overlays them on its
        built-in defaults, so a new active version in the library changes both the snapshot id
        and the numbers. None when the snapshot holds neither (the built-in defaults)."""
        out = dict(self.method_params(method) or {})
        if method in ("cost", "market") and self.indicators:
            out["indicators"] = self.indicators
        return out or None

    @staticmethod
    def compute_id(parts: dict[str, Any]) -> str:
        blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

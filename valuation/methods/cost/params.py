"""Parameters of the cost approach: ``models/cost_cas.yaml`` / ``cost_literature.yaml`` (or the
snapshot's ``cost.cas`` / ``cost.literature`` entries) over built-in defaults, then flat
overrides; the indicators library parsed once (CAS 2023 art. 22, annex; docs/DOMAIN.md §2).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...core.models import load_model_file, models_dir
from ...quality.library import quality_library
from ..base import Params

__all__ = ["CLAUSES", "CostParams", "default_params", "resolve_params"]

CLAUSES = ["CAS2023.art22", "CAS2023.annex.cost"]
_BUILTIN = {"profit_rate": 0.0, "opportunity_rate": 0.0, "quality_benchmark": 100.0,
            "delta_relative_sd": 0.10, "coverage": 0.80, "delta_max": 1.0, "quality_decimals": 2,
            "quality_scale": "linear", "quality_weights": None,
            "literature_return_rate": 0.0, "literature_circulation": 1.0, "literature_scarcity": 0.0,
            "literature_risk": 0.0, "literature_relative_sd": 0.10}


def _defaults_of(cas: Mapping[str, Any], lit: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter defaults of the ``cost.cas`` and ``cost.literature`` model entries."""
    out: dict[str, Any] = {}
    cas = cas.get("parameters") or {}
    for k in ("profit_rate", "opportunity_rate", "quality_benchmark", "coverage", "delta_max"):
        if isinstance(cas.get(k), Mapping) and cas[k].get("default") is not None:
            out[k] = cas[k]["default"]
    sd = ((cas.get("delta") or {}).get("distribution") or {}).get("sd")
    if sd is not None:
        out["delta_relative_sd"] = sd
    if isinstance(cas.get("quality_rounding_publication"), Mapping):
        out["quality_decimals"] = cas["quality_rounding_publication"].get("default", 2)
    lit = lit.get("parameters") or {}
    for k in ("return_rate", "circulation", "scarcity", "risk"):
        if isinstance(lit.get(k), Mapping) and lit[k].get("default") is not None:
            out[f"literature_{k}"] = lit[k]["default"]
    sd = ((lit.get("utility") or {}).get("distribution") or {}).get("sd")
    if sd is not None:
        out["literature_relative_sd"] = sd
    return out


@lru_cache(maxsize=1)
def _model_defaults() -> tuple[tuple[str, Any], ...]:
    try:
        out = _defaults_of(load_model_file(models_dir() / "cost_cas.yaml"),
                           load_model_file(models_dir() / "cost_literature.yaml"))
    except (OSError, ValueError):  # pragma: no cover - models/ shipped with the repository
        out = {}
    return tuple(out.items())


def default_params() -> dict[str, Any]:
    """Parameters of ``models/cost_cas.yaml`` / ``cost_literature.yaml`` (built-ins if absent)."""
    return {**_BUILTIN, **dict(_model_defaults())}


def resolve_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults ← the snapshot's library entries ← flat overrides.

    ``params`` may carry ``models`` (``{id: entry}`` of the model library, as
    :meth:`~valuation.core.snapshot.LibrarySnapshot.params_for` gives: ``cost.cas`` and
    ``cost.literature`` replace the file defaults) and ``indicators`` (the indicators library:
    quality weights, bands and default scale, :func:`~valuation.quality.library.quality_library`);
    any other key overrides one parameter (None keeps the default). The result holds the
    parsed indicators library under ``quality_library``.
    """
    params = dict(params or {})
    models = params.pop("models", None)
    indicators = params.pop("indicators", None)
    p = default_params()
    if isinstance(models, Mapping) and ("cost.cas" in models or "cost.literature" in models):
        cas, lit = models.get("cost.cas"), models.get("cost.literature")
        p.update(_defaults_of(cas if isinstance(cas, Mapping) else {}, lit if isinstance(lit, Mapping) else {}))
    lib = quality_library(indicators)
    p["quality_library"] = lib
    if indicators:
        p["quality_scale"] = lib.scale
    p.update({k: v for k, v in params.items() if v is not None})
    return p


@dataclass(frozen=True, eq=False)
class CostParams(Params):
    """Resolved cost parameters (:func:`resolve_params`), frozen."""

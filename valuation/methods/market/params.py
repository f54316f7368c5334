"""Parameters of the market approach: built-ins overridden by ``models/market_grid.yaml`` and
``models/market_hedonic.yaml``, overridden by the ``params`` argument of ``appraise``.

``params`` may be flat (``{"spread_max": 1.3, "weighting": "inverse_adjustment"}``) or the
snapshot form ``{"models": {"market.grid": {...}, "market.hedonic": {...}}}``.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ...core.errors import RefusedError
from ...core.models import load_model_file, models_dir
from ...quality.library import quality_library

__all__ = ["CLAUSES", "default_params", "resolve_params"]

CLAUSES = ["CAS2023.art23", "CAS2023.annex.market"]

_BUILTIN: dict[str, Any] = {
    "k": 5, "min_comparables": 3, "refuse_below": 2, "weighting": "equal",
    "coefficient_band": (0.70, 1.30), "product_band": (0.50, 1.50), "spread_max": 1.20,
    "capacity_explicit": "ratio", "capacity_library": "elasticity",
    "capacity_elasticity_default": 0.5, "capacity_elasticity_bounds": (0.0, 1.0),
    "date_growth": "hedonic", "date_growth_clip": 0.15, "subject_evidence": "transaction",
    "coverage": 0.80,
    "x5_exclusivity": {"exclusive": 1.00, "sole": 0.95, "non_exclusive": 0.90},
    "x5_evidence_type": {"listing": 1.00, "transaction": 0.90, "appraisal": 0.95},
    "feature_weights": {"category": 2.0, "platform": 1.0, "update_frequency": 0.7, "exclusivity": 0.5,
                        "evidence_type": 0.3, "log_records": 1.0, "log_fields": 0.5, "log_size": 0.5,
                        "quality": 0.5, "year": 0.5, "keywords": 1.0},
    # hedonic
    "hedonic_min_rows": 20, "hedonic_min_level_count": 5, "hedonic_cov_type": "HC3",
    "hedonic_categorical": ["category", "platform", "update_frequency", "rights_type", "exclusivity",
                            "evidence_type"],
    "hedonic_numeric": ["log_records", "log_fields", "log_size", "quality", "year"],
    "title_keywords": [],
    "variance_groups": ["platform"], "variance_shrink": 10.0, "hedonic_interval": "empirical",
    # which point the library path reports: grid (adjusted comparables), hedonic, or blend
    "library_estimate": "learned",
    # synthetic cases may stand behind a value only in a demonstration (card market.demonstration)
    "allow_synthetic": False,
}
_HEDONIC_KEYS = {"coverage": None, "min_rows": "hedonic_min_rows", "min_level_count": "hedonic_min_level_count",
                 "cov_type": "hedonic_cov_type", "variance_groups": "variance_groups",
                 "variance_shrink": "variance_shrink", "interval": "hedonic_interval"}


def _defaults_of(model: Mapping[str, Any], hedonic: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (model.get("parameters") or {}).items():
        val = v.get("default") if isinstance(v, Mapping) else v
        if val is None:
            continue
        if hedonic:
            key = _HEDONIC_KEYS.get(k, k)
            if key is None:
                continue
            out[key] = val
        else:
            out[k] = val
    if hedonic:
        feats = model.get("features") or {}
        if feats.get("categorical"):
            out["hedonic_categorical"] = list(feats["categorical"])
        if feats.get("numeric"):
            out["hedonic_numeric"] = list(feats["numeric"])
        if feats.get("title_keywords") is not None:
            out["title_keywords"] = list(feats["title_keywords"])
    else:
        x5 = model.get("x5") or {}
        if x5.get("exclusivity"):
            out["x5_exclusivity"] = dict(x5["exclusivity"])
        if x5.get("evidence_type"):
            out["x5_evidence_type"] = dict(x5["evidence_type"])
        fw = (model.get("selection") or {}).get("feature_weights")
        if fw:
            out["feature_weights"] = dict(fw)
    return out


@lru_cache(maxsize=1)
def _file_defaults() -> tuple[tuple[str, Any], ...]:
    out: dict[str, Any] = {}
    for name, hed in (("market_grid.yaml", False), ("market_hedonic.yaml", True)):
        try:
            out.update(_defaults_of(load_model_file(models_dir() / name), hed))
        except (OSError, ValueError):  # pragma: no cover - models/ ships with the repository
            pass
    return tuple(out.items())


def default_params() -> dict[str, Any]:
    """Built-ins updated by the model files (fresh copy)."""
    return _fresh({**_BUILTIN, **dict(_file_defaults())})


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def _fresh(v: Any) -> Any:
    """``copy.deepcopy(v)`` for the plain dicts, lists and scalars of the parameters, by
    direct recursion (without deepcopy's memo and dispatch per value); any other
    value by deepcopy itself."""
    t = type(v)
    if t in _IMMUTABLE:
        return v
    if t is dict:
        return {k: _fresh(x) for k, x in v.items()}
    if t is list:
        return [_fresh(x) for x in v]
    import copy

    return copy.deepcopy(v)


def resolve_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults ← snapshot models (``{"models": {...}}``) ← flat overrides; checked. The
    snapshot's indicators library (``indicators``) becomes ``quality_library``, which scores
    the subject's quality for X1 (:func:`~valuation.quality.library.quality_library`)."""
    p = default_params()
    indicators = None
    if params:
        models = params.get("models") if isinstance(params.get("models"), Mapping) else None
        if models:
            for m in models.values():
                if isinstance(m, Mapping) and m.get("method") == "market":
                    p.update(_defaults_of(m, m.get("id") == "market.hedonic"))
        indicators = params.get("indicators")
        p.update({k: v for k, v in params.items() if k not in ("models", "indicators")})
    if "quality_library" not in p or indicators is not None:
        p["quality_library"] = quality_library(indicators)
    _check(p)
    return p


def _refuse(name: str, value: Any, allowed: str) -> RefusedError:
    return RefusedError(f"市场法参数 {name} 的值 {value!r} 无效，允许：{allowed}",
                        f"market approach parameter {name} = {value!r} is not allowed; allowed: {allowed}",
                        field=name, value=value, allowed=allowed)


def _check(p: dict[str, Any]) -> None:
    if p["weighting"] not in ("equal", "inverse_adjustment"):
        raise _refuse("weighting", p["weighting"], "equal, inverse_adjustment")
    for k in ("capacity_explicit", "capacity_library"):
        if p[k] not in ("ratio", "elasticity"):
            raise _refuse(k, p[k], "ratio, elasticity")
    if p["library_estimate"] not in ("grid", "hedonic", "blend", "learned"):
        raise _refuse("library_estimate", p["library_estimate"], "grid, hedonic, blend, learned")
    if p["subject_evidence"] not in p["x5_evidence_type"]:
        raise _refuse("subject_evidence", p["subject_evidence"], ", ".join(p["x5_evidence_type"]))
    if not (0.5 <= float(p["coverage"]) < 1.0):
        raise _refuse("coverage", p["coverage"], "0.5 ≤ coverage < 1")
    if int(p["refuse_below"]) < 1 or int(p["min_comparables"]) < int(p["refuse_below"]):
        raise _refuse("min_comparables", p["min_comparables"], "min_comparables ≥ refuse_below ≥ 1")
    if float(p["spread_max"]) < 1.0:
        raise _refuse("spread_max", p["spread_max"], "≥ 1")
    dg = p["date_growth"]
    if not (dg == "hedonic" or isinstance(dg, (int, float))):
        raise _refuse("date_growth", dg, "'hedonic' or a number")

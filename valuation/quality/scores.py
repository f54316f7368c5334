"""Quality scores of GB/T 36344-2018: indicator scores from measures X = A/B and the composite
score Q = Σ w_j s_j over the six dimensions, vectorised over assets (DOMAIN.md §5)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.errors import Issue, ValidationError
from .weights import ahp

__all__ = ["DIMENSIONS", "DIMENSION_LABELS", "DEFAULT_DIMENSION_WEIGHTS", "INVERSE_INDICATORS",
           "indicator_scores", "composite_scores"]

DIMENSIONS = ("normativeness", "completeness", "accuracy", "consistency", "timeliness",
              "accessibility")
DIMENSION_LABELS = {"normativeness": "规范性", "completeness": "完整性", "accuracy": "准确性",
                    "consistency": "一致性", "timeliness": "时效性", "accessibility": "可访问性"}
# Engineering default (GB/T 36344 defines indicators, not weights): equal weights.
DEFAULT_DIMENSION_WEIGHTS = np.full(6, 1.0 / 6.0)
# Inverse indicators: A counts bad elements, so X = 1 − A/B (DB31/T 1523-2024 orientation).
INVERSE_INDICATORS = {"duplicate_rate", "dirty_rate"}


def indicator_scores(records: pd.DataFrame) -> pd.DataFrame:
    """Scores 0–100 of sub-indicator rows (``indicator`` = ``dimension.code``; ``a``, ``b`` or
    ``score``). Returns the rows with ``x`` (oriented ratio), ``score`` and ``dimension``.
    """
    r = records.copy()
    code = r["indicator"].astype("str")
    r["dimension"] = code.str.split(".").str[0]
    sub = code.str.split(".").str[-1]
    a = pd.to_numeric(r.get("a"), errors="coerce").to_numpy(float)
    b = pd.to_numeric(r.get("b"), errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = a / b
    inv = sub.isin(INVERSE_INDICATORS).to_numpy()
    x = np.where(inv, 1.0 - x, x)
    given = pd.to_numeric(r.get("score"), errors="coerce").to_numpy(float)
    r["x"] = x
    r["score"] = np.where(np.isnan(given), 100.0 * x, given)
    issues = []
    for i in np.flatnonzero(~r["dimension"].isin(DIMENSIONS).to_numpy()):
        issues.append(Issue(f"asset.quality.indicators[{i}].indicator", str(code.iloc[i]), ", ".join(DIMENSIONS),
                            f"质量子指标 {code.iloc[i]!r} 的维度不属于 GB/T 36344 六个维度",
                            f"indicator {code.iloc[i]!r} is not under one of the six GB/T 36344 dimensions"))
    s = r["score"].to_numpy(float)
    for i in np.flatnonzero(np.isnan(s) | (s < 0) | (s > 100)):
        issues.append(Issue(f"asset.quality.indicators[{i}]", None if np.isnan(s[i]) else float(s[i]),
                            "0–100 (or A ≤ B)", f"质量子指标 {code.iloc[i]} 得分 {s[i]:.4g} 不在 0–100（检查 A、B）",
                            f"indicator {code.iloc[i]} scores {s[i]:.4g}, outside 0–100 (check A and B)"))
    if issues:
        raise ValidationError(issues)
    return r


def _weights_matrix(pf) -> np.ndarray:
    """(n_assets, 6) weights: the card's weights, its AHP matrix, or the defaults."""
    n = len(pf)
    w = np.tile(DEFAULT_DIMENSION_WEIGHTS, (n, 1))
    given = pf.series.get("asset.quality.weights")
    if given is not None:
        g = given.reindex(columns=range(1, 7)).to_numpy(float)
        ok = ~np.isnan(g).any(axis=1)
        w[ok] = g[ok]
    mats = pf.matrices.get("asset.quality.ahp_matrix", {})
    if mats:
        reasons = pf.assets.get("quality_cr_override_reason")
        pos = {a: i for i, a in enumerate(pf.index)}
        for aid, m in mats.items():
            reason = reasons.loc[aid] if reasons is not None else None
            res = ahp(m, override_reason=reason if isinstance(reason, str) and reason else None)
            w[pos[aid]] = res.weights
    return w


def composite_scores(pf) -> pd.DataFrame:
    """Composite quality score Q per asset (0–100) and how it was obtained.

    Priority: the six dimension scores on the card weighted by the card's weights / AHP
    matrix / equal defaults; else dimension means of sub-indicator records; else a given
    composite ``quality.score``. Columns: ``quality_score``, ``quality_basis``.
    """
    idx = pf.index
    dims = np.column_stack([pf.assets[f"quality_{d}"].to_numpy(float) for d in DIMENSIONS])
    rec = pf.records.get("asset.quality.indicators")
    if rec is not None and len(rec):
        sc = indicator_scores(rec)
        means = sc.groupby(["asset_id", "dimension"])["score"].mean().unstack()
        means = means.reindex(index=idx, columns=list(DIMENSIONS)).to_numpy(float)
        dims = np.where(np.isnan(dims), means, dims)
    w = _weights_matrix(pf)
    complete = ~np.isnan(dims).any(axis=1)
    q = np.where(complete, np.nansum(dims * w, axis=1), np.nan)
    given = pf.assets["quality_score"].to_numpy(float)
    basis = np.where(complete, "dimensions", np.where(~np.isnan(given), "given", "none"))
    q = np.where(complete, q, given)
    return pd.DataFrame({"quality_score": q, "quality_basis": basis}, index=idx)

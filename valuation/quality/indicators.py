"""Sub-indicator scores of GB/T 36344 from raw measures X = A/B or given scores, vectorised
over all assets (records ``asset.quality.indicators``: asset_id, indicator, a, b, score).

Step 1 (docs/DOMAIN.md §5.3):

    ratio = A / B ;  X' = ratio (benefit) or 1 − ratio (inverse: 数据重复率, 脏数据出现率)
    s = 100 × X'                        scale "linear" (default)
    s = piecewise table of X'           scale "piecewise" (≥0.99→100, ≥0.95→90, ≥0.90→80, ≥0.80→60, else 40)

A given ``score`` wins over A/B. Dimension score = Σ local weight × s over the sub-indicators
given for that asset, the local weights renormalised over those given (equal by default —
ENG.default, not the standard).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ValidationError
from .catalog import DIMENSIONS, INDICATORS, PIECEWISE_BANDS, Indicator, resolve_code
from .checks import issue

__all__ = ["SCALES", "dimension_scores", "indicator_scores", "score_measure"]

SCALES = ("linear", "piecewise")
FIELD = "asset.quality.indicators"


def score_measure(x: Any, scale: str = "linear",
                  bands: Sequence[tuple[float, float]] = PIECEWISE_BANDS) -> np.ndarray:
    """Score 0–100 of oriented measures X' ∈ [0, 1] (vectorised)."""
    x = np.asarray(x, dtype=float)
    if scale == "linear":
        return 100.0 * x
    if scale == "piecewise":
        b = sorted(((float(lo), float(s)) for lo, s in bands), reverse=True)
        conds = [x >= lo for lo, _ in b]
        out = np.select(conds, [s for _, s in b], default=b[-1][1])
        return np.where(np.isnan(x), np.nan, out)
    raise ValidationError([issue("scale", scale, ", ".join(SCALES), f"评分方式 {scale!r} 不受支持（linear 或 piecewise）",
                                 f"scoring scale {scale!r} is not supported (linear or piecewise)")])


def _col(r: pd.DataFrame, name: str) -> np.ndarray:
    if name not in r.columns:
        return np.full(len(r), np.nan)
    return pd.to_numeric(r[name], errors="coerce").to_numpy(dtype=float)


def indicator_scores(records: pd.DataFrame, *, scale: str = "linear",
                     bands: Sequence[tuple[float, float]] = PIECEWISE_BANDS,
                     catalog: Mapping[str, Indicator] | None = None, errors: str = "raise",
                     field: str = FIELD) -> pd.DataFrame:
    """Score every sub-indicator row.

    Returns the rows with ``indicator`` (full id), ``dimension``, ``orientation``, ``ratio``
    (raw A/B), ``x`` (oriented), ``score`` (0–100), ``weight`` (local default weight) and
    ``problem_zh``/``problem_en`` (empty when fine). ``errors="raise"`` raises a
    :class:`ValidationError` listing every bad row (field, value, what is allowed);
    ``errors="mark"`` leaves the score NaN and fills ``problem_*`` (batch path).
    """
    cat = INDICATORS if catalog is None else catalog
    r = records.reset_index(drop=True).copy()
    n = len(r)
    aid = r["asset_id"].astype("str").to_numpy(dtype=object) if "asset_id" in r.columns \
        else np.array([None] * n, dtype=object)
    pos = (pd.Series(aid).groupby(pd.Series(aid).fillna("")).cumcount().to_numpy()
           if n else np.zeros(0, int))
    raw = r["indicator"].astype("str").fillna("").to_numpy(dtype=object) if n else np.array([], dtype=object)
    codes = pd.Series(raw, dtype=object)
    uniq = pd.unique(codes)
    full_of = {c: resolve_code(c, cat) for c in uniq}
    full_s = codes.map(full_of)
    known = full_s.notna().to_numpy(bool)
    full = full_s.to_numpy(dtype=object)
    dim = full_s.map({k: v.dimension for k, v in cat.items()}).fillna("").to_numpy(dtype=object)
    orient = full_s.map({k: v.orientation for k, v in cat.items()}).fillna("").to_numpy(dtype=object)
    wloc = full_s.map({k: v.weight for k, v in cat.items()}).to_numpy(dtype=float)
    a, b, given = _col(r, "a"), _col(r, "b"), _col(r, "score")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a / b
    x = np.where(orient == "inverse", 1.0 - ratio, ratio)
    score = np.where(np.isnan(given), score_measure(x, scale, bands), given)

    pz = np.full(n, "", dtype=object)
    pe = np.full(n, "", dtype=object)
    issues = []

    def bad(mask, fld, value, allowed, zh, en):
        for i in np.flatnonzero(mask & (pz == "")):
            where = f"{field}[{pos[i]}]" + (f"（{aid[i]}）" if aid[i] else "")
            where_en = f"{field}[{pos[i]}]" + (f" ({aid[i]})" if aid[i] else "")
            v = value(i)
            pz[i] = f"{where} {zh(i, v)}"
            pe[i] = f"{where_en} {en(i, v)}"
            issues.append(issue(f"{field}[{pos[i]}].{fld}", v, allowed, pz[i], pe[i], aid[i]))

    bad(~known, "indicator", lambda i: raw[i], "a GB/T 36344 sub-indicator id, e.g. GBT36344.accuracy.duplicate_rate",
        lambda i, v: f"子指标代码 {v!r} 不在 GB/T 36344 指标库中",
        lambda i, v: f"sub-indicator code {v!r} is not in the GB/T 36344 indicator library")
    no_data = np.isnan(given) & (np.isnan(a) | np.isnan(b))
    bad(no_data, "score", lambda i: None, "a score, or both A and B",
        lambda i, v: f"子指标 {raw[i]} 既无得分也无完整的 A、B", lambda i, v: f"sub-indicator {raw[i]} has neither a score nor both A and B")
    bad(np.isnan(given) & ~np.isnan(b) & (b <= 0), "b", lambda i: float(b[i]), "B > 0",
        lambda i, v: f"子指标 {raw[i]} 的 B = {v:g} 必须大于 0", lambda i, v: f"sub-indicator {raw[i]}: B = {v:g} must be > 0")
    bad(np.isnan(given) & ~np.isnan(ratio) & ((ratio < 0) | (ratio > 1)), "a", lambda i: float(a[i]), "0 ≤ A ≤ B",
        lambda i, v: f"子指标 {raw[i]} 的 A = {v:g} 超出 0 ≤ A ≤ B = {b[i]:g}",
        lambda i, v: f"sub-indicator {raw[i]}: A = {v:g} is outside 0 ≤ A ≤ B = {b[i]:g}")
    bad(~np.isnan(given) & ((given < 0) | (given > 100)), "score", lambda i: float(given[i]), "0 ≤ score ≤ 100",
        lambda i, v: f"子指标 {raw[i]} 的得分 {v:g} 不在 0–100 之间",
        lambda i, v: f"sub-indicator {raw[i]}: score {v:g} is outside 0–100")
    if issues and errors == "raise":
        raise ValidationError(issues)
    failed = pz != ""
    out = pd.DataFrame({
        "asset_id": aid, "indicator": np.where(known, full, raw), "dimension": dim, "orientation": orient,
        "a": a, "b": b, "ratio": ratio, "x": x, "score": np.where(failed, np.nan, score),
        "score_given": ~np.isnan(given), "weight": wloc, "problem_zh": pz, "problem_en": pe})
    return out


def dimension_scores(scored: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """(assets × six dimensions) scores: local-weighted mean of the sub-indicator scores given
    per asset and dimension (weights renormalised over the sub-indicators present)."""
    ok = scored[~np.isnan(scored["score"].to_numpy(float)) & (scored["dimension"] != "")]
    if not len(ok):
        return pd.DataFrame(np.nan, index=index, columns=list(DIMENSIONS))
    w = ok["weight"].to_numpy(float)
    w = np.where(np.isnan(w), 1.0, w)
    df = pd.DataFrame({"asset_id": ok["asset_id"].to_numpy(), "dimension": ok["dimension"].to_numpy(),
                       "ws": w * ok["score"].to_numpy(float), "w": w})
    g = df.groupby(["asset_id", "dimension"], sort=False)[["ws", "w"]].sum()
    s = (g["ws"] / g["w"]).unstack()
    return s.reindex(index=index, columns=list(DIMENSIONS)).astype(float)

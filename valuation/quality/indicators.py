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
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ..core.errors import ValidationError
from .catalog import DIMENSIONS, INDICATORS, PIECEWISE_BANDS, Indicator, resolve_code
from .checks import issue

__all__ = ["SCALES", "IndicatorScores", "dimension_scores", "indicator_scores", "score_measure"]

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


@dataclass(frozen=True)
class IndicatorScores:
    """The scored sub-indicator records, one entry per record (arrays of equal length):
    ``asset_id``, ``indicator`` (full id; the code as given when unknown), ``dimension``,
    ``orientation``, ``a``, ``b``, ``ratio`` (A/B), ``x`` (oriented), ``score`` (0–100, NaN
    when refused), ``score_given``, ``weight`` (local default weight) and
    ``problem_zh``/``problem_en`` ("" when fine). ``scores["score"]`` reads a column."""

    asset_id: np.ndarray
    indicator: np.ndarray
    dimension: np.ndarray
    orientation: np.ndarray
    a: np.ndarray
    b: np.ndarray
    ratio: np.ndarray
    x: np.ndarray
    score: np.ndarray
    score_given: np.ndarray
    weight: np.ndarray
    problem_zh: np.ndarray
    problem_en: np.ndarray

    def __len__(self) -> int:
        return len(self.score)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.columns():
            raise KeyError(name)
        return getattr(self, name)

    def columns(self) -> dict[str, np.ndarray]:
        """``{column: array}`` in the order above (a face builds its table from it)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _texts(items: Mapping[str, Any], name: str, n: int) -> np.ndarray:
    """A text item column as an object array of str, missing (None, NaN) as None."""
    out = np.empty(n, dtype=object)
    if name in items:
        out[:] = [v if type(v) is str else None if v is None or v != v else str(v)
                  for v in np.asarray(items[name], dtype=object).reshape(-1).tolist()]
    return out


def _floats(items: Mapping[str, Any], name: str, n: int) -> np.ndarray:
    if name not in items:
        return np.full(n, np.nan)
    return np.asarray(items[name], dtype=float).reshape(-1)   # (None → NaN)


def _within_asset(owner: np.ndarray) -> np.ndarray:
    """Position of each record among its asset's records (records grouped or interleaved)."""
    n = len(owner)
    if not n:
        return np.zeros(0, int)
    order = np.argsort(owner, kind="stable")
    s = owner[order]
    start = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    run = np.repeat(start, np.diff(np.r_[start, n]))
    pos = np.empty(n, int)
    pos[order] = np.arange(n) - run
    return pos


def _length(items: Mapping[str, Any]) -> int:
    for k in ("indicator", "asset_id", "a", "b", "score"):
        if k in items:
            return len(np.asarray(items[k], dtype=object).reshape(-1))
    return 0


def indicator_scores(items: Mapping[str, Any], *, scale: str = "linear",
                     bands: Sequence[tuple[float, float]] = PIECEWISE_BANDS,
                     catalog: Mapping[str, Indicator] | None = None, errors: str = "raise",
                     field: str = FIELD) -> IndicatorScores:
    """Score every sub-indicator record.

    Parameters
    ----------
    items : the records as ``{column: 1-D array}`` (a records table qualifies): ``indicator``
        and any of ``asset_id``, ``a``, ``b``, ``score``.

    Returns :class:`IndicatorScores`. ``errors="raise"`` raises a :class:`ValidationError`
    listing every bad record (field, value, what is allowed); ``errors="mark"`` leaves the
    score NaN and fills ``problem_*`` (batch path).
    """
    cat = INDICATORS if catalog is None else catalog
    n = _length(items)
    aid = _texts(items, "asset_id", n)
    pos = _within_asset(np.unique(np.where(aid == None, "", aid).astype(str),   # noqa: E711
                                  return_inverse=True)[1].reshape(-1))
    raw = np.array(["" if v is None else v for v in _texts(items, "indicator", n).tolist()], dtype=object)
    full_of = {c: resolve_code(c, cat) for c in dict.fromkeys(raw.tolist())}
    full = np.array([full_of[c] for c in raw.tolist()], dtype=object)
    known = np.array([f is not None for f in full.tolist()], dtype=bool)
    ind = [cat[f] if f is not None else None for f in full.tolist()]
    dim = np.array([i.dimension if i else "" for i in ind], dtype=object)
    orient = np.array([i.orientation if i else "" for i in ind], dtype=object)
    wloc = np.array([i.weight if i else np.nan for i in ind], dtype=float)
    a, b, given = _floats(items, "a", n), _floats(items, "b", n), _floats(items, "score", n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a / b
    x = np.where(orient == "inverse", 1.0 - ratio, ratio)
    score = np.where(np.isnan(given), score_measure(x, scale, bands), given)
    pz, pe = _problems(field, aid, pos, raw, known, a, b, given, ratio, errors)
    failed = pz != ""
    return IndicatorScores(aid, np.where(known, full, raw), dim, orient, a, b, ratio, x,
                           np.where(failed, np.nan, score), ~np.isnan(given), wloc, pz, pe)


def _problems(field: str, aid: np.ndarray, pos: np.ndarray, raw: np.ndarray, known: np.ndarray,
              a: np.ndarray, b: np.ndarray, given: np.ndarray, ratio: np.ndarray,
              errors: str) -> tuple[np.ndarray, np.ndarray]:
    """The first problem of each record in Chinese and English ("" when none); with
    ``errors="raise"`` a ValidationError listing them all."""
    n = len(raw)
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
    return pz, pe


def dimension_scores(scored: IndicatorScores, rows: np.ndarray, n: int) -> np.ndarray:
    """(n assets × six dimensions) scores: local-weighted mean of the sub-indicator scores
    given per asset and dimension (weights renormalised over the sub-indicators present;
    NaN where none). ``rows``: the asset row of each scored record (< 0: not an asset here)."""
    dim_code = {d: j for j, d in enumerate(DIMENSIONS)}
    j = np.array([dim_code.get(d, -1) for d in scored.dimension.tolist()], dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    ok = ~np.isnan(scored.score) & (j >= 0) & (rows >= 0)
    w = np.where(np.isnan(scored.weight), 1.0, scored.weight)[ok]
    key = rows[ok] * len(DIMENSIONS) + j[ok]
    size = n * len(DIMENSIONS)
    ws = np.bincount(key, weights=w * scored.score[ok], minlength=size)
    wsum = np.bincount(key, weights=w, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(np.bincount(key, minlength=size) > 0, ws / wsum, np.nan)
    return out.reshape(n, len(DIMENSIONS))

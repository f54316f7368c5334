"""Input checks shared by the quality modules: weights summing to 1, scores within 0–100.

Every failure is a :class:`~valuation.core.errors.ValidationError` whose issues name the field,
the value and what is allowed, in Chinese and English.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.errors import Issue, ValidationError

__all__ = ["WEIGHT_TOL", "check_scores", "check_weights", "issue"]

WEIGHT_TOL = 1e-6


def issue(field: str, value: Any, allowed: str, zh: str, en: str, asset_id: str | None = None) -> Issue:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    return Issue(field, value, allowed, zh, en, asset_id=asset_id)


def check_weights(w: Any, field: str = "weights", *, n: int | None = None,
                  asset_ids: Sequence[str] | None = None) -> np.ndarray:
    """Weights (a vector, or one row per asset) must be finite, ≥ 0 and sum to 1 (± 1e-6)."""
    a = np.asarray(w, dtype=float)
    rows = np.atleast_2d(a)
    issues = []
    if n is not None and rows.shape[1] != n:
        raise ValidationError([issue(field, a, f"{n} weights",
                                     f"{field} 应有 {n} 个权重，实际 {rows.shape[1]} 个",
                                     f"{field} must have {n} weights, got {rows.shape[1]}")])
    bad_val = ~np.isfinite(rows).all(axis=1) | (rows < 0).any(axis=1)
    sums = rows.sum(axis=1)
    bad_sum = ~bad_val & (np.abs(sums - 1.0) > WEIGHT_TOL)
    for i in np.flatnonzero(bad_val | bad_sum)[:20]:
        aid = asset_ids[i] if asset_ids is not None else None
        where = f"{field}[{aid}]" if aid is not None else field
        if bad_val[i]:
            issues.append(issue(field, rows[i], "finite weights ≥ 0 summing to 1",
                                f"{where} 含负数或非数值权重：{np.round(rows[i], 6).tolist()}",
                                f"{where} has negative or non-numeric weights: {np.round(rows[i], 6).tolist()}", aid))
        else:
            issues.append(issue(field, rows[i], f"sum = 1 (tolerance {WEIGHT_TOL:g})",
                                f"{where} 权重合计 {sums[i]:.8g} ≠ 1（容差 {WEIGHT_TOL:g}）",
                                f"{where} weights sum to {sums[i]:.8g}, not 1 (tolerance {WEIGHT_TOL:g})", aid))
    if issues:
        raise ValidationError(issues)
    return a


def check_scores(s: Any, field: str = "scores", *, allow_nan: bool = False,
                 labels: Sequence[str] | None = None) -> np.ndarray:
    """Scores must lie within 0–100."""
    a = np.asarray(s, dtype=float)
    flat = a.reshape(-1)
    bad = (flat < 0) | (flat > 100) | (np.isnan(flat) & (not allow_nan)) | np.isinf(flat)
    if bad.any():
        issues = []
        for i in np.flatnonzero(bad)[:20]:
            lab = labels[i % len(labels)] if labels else str(i)
            v = None if np.isnan(flat[i]) else float(flat[i])
            issues.append(issue(f"{field}.{lab}" if labels else f"{field}[{i}]", v, "0 ≤ score ≤ 100",
                                f"{field} {lab} 的得分 {v} 不在 0–100 之间",
                                f"{field} {lab} score {v} is outside 0–100"))
        raise ValidationError(issues)
    return a

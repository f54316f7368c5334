"""Entropy weights (熵权法) — objective weights from the spread of m assets × n indicators
(docs/DOMAIN.md §5.3, fixture F4).

    x'_ij = (x_ij − min_j)/(max_j − min_j)    benefit indicators
    x'_ij = (max_j − x_ij)/(max_j − min_j)    inverse (cost-type) indicators
    p_ij = x'_ij / Σ_i x'_ij ;  e_j = −(1/ln m) Σ_i p_ij ln p_ij  (0·ln 0 := 0)
    d_j = 1 − e_j ;  w_j = d_j / Σ_j d_j

An indicator that is constant over the assets carries no information: e_j = 1, d_j = 0.
Needs m ≥ 2 assets (many are better); for a single asset use AHP or Delphi.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ValidationError
from .checks import issue

__all__ = ["EntropyResult", "entropy_weights"]


@dataclass(frozen=True)
class EntropyResult:
    weights: np.ndarray
    entropy: np.ndarray
    divergence: np.ndarray
    normalised: np.ndarray
    columns: tuple[str, ...] = ()

    def by_column(self) -> dict[str, float]:
        """``{column: weight}`` (columns named by the table, else 1, 2, …)."""
        names = self.columns or tuple(str(j + 1) for j in range(len(self.weights)))
        return dict(zip(names, self.weights.tolist()))


def entropy_weights(table: Any, *, inverse: Any = None, field: str = "indicators") -> EntropyResult:
    """Entropy weights of the columns of ``table`` (rows = assets, columns = indicators).

    Parameters
    ----------
    table : (m, n) array of indicator values (m ≥ 2, finite), or a table whose ``columns``
        name the indicators (a DataFrame qualifies; read with ``np.asarray``).
    inverse : optional boolean per column, True for lower-is-better indicators.

    F4: [[0.95,0.90,0.88],[0.80,0.97,0.91],[0.99,0.85,0.70],[0.90,0.92,0.95]] →
    e = (0.7691, 0.7450, 0.7860), w = (0.3299, 0.3644, 0.3058).
    """
    names = getattr(table, "columns", None)
    cols: tuple[str, ...] = tuple(str(c) for c in names) if names is not None and not callable(names) else ()
    x = np.asarray(table, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValidationError([issue(field, list(x.shape), "m ≥ 2 rows (assets) × n ≥ 1 columns",
                                     f"熵权法至少需要 2 个评价对象，实际表格形状 {x.shape}",
                                     f"the entropy method needs at least 2 objects, got a table of shape {x.shape}")])
    if not np.isfinite(x).all():
        i, j = np.argwhere(~np.isfinite(x))[0]
        raise ValidationError([issue(f"{field}[{i},{j}]", None, "finite numbers",
                                     f"熵权法表格第 {i + 1} 行第 {j + 1} 列缺失或非数值",
                                     f"entropy table row {i + 1}, column {j + 1} is missing or not a number")])
    m, n = x.shape
    inv = np.zeros(n, bool) if inverse is None else np.broadcast_to(np.asarray(inverse, bool), (n,))
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    xn = np.where(inv, (hi - x) / span, (x - lo) / span)
    col = xn.sum(axis=0)
    p = np.divide(xn, col, out=np.zeros_like(xn), where=col > 0)
    plogp = np.zeros_like(p)
    np.multiply(p, np.log(p, out=np.zeros_like(p), where=p > 0), out=plogp, where=p > 0)
    e = -plogp.sum(axis=0) / np.log(m)
    e = np.where(col > 0, e, 1.0)
    d = 1.0 - e
    w = d / d.sum() if d.sum() > 0 else np.full(n, 1.0 / n)
    return EntropyResult(w, e, d, xn, cols)

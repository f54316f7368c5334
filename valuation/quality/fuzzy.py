"""Fuzzy comprehensive evaluation (模糊综合评价) — CAS 2023 art. 17, docs/DOMAIN.md §5.3.

Grade set V = {优, 良, 中, 差} with scores {95, 85, 70, 50} (engineering default [C]);
membership matrix R (row i = share of experts' votes of indicator i per grade, rows sum to 1);
weighted-average operator M(·, +):

    B = W ∘ R,  b_k = Σ_i w_i r_ik ;   score = B · V
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ValidationError
from .checks import check_weights, issue

__all__ = ["FUZZY_GRADES", "FuzzyResult", "fuzzy_evaluation"]

FUZZY_GRADES = {"优": 95.0, "良": 85.0, "中": 70.0, "差": 50.0}


@dataclass(frozen=True)
class FuzzyResult:
    membership: np.ndarray   # B
    score: float             # B · V
    grade: str               # grade of maximum membership

    def __iter__(self):      # allows ``b, score = fuzzy_evaluation(...)``
        return iter((self.membership, self.score))


def fuzzy_evaluation(weights: Any, membership: Any, grades: Any = None) -> FuzzyResult:
    """B = W ∘ R (weighted average) and score = B · V.

    Parameters
    ----------
    weights : n weights summing to 1.
    membership : (n, g) matrix, rows of shares summing to 1.
    grades : g grade scores (default 优 95, 良 85, 中 70, 差 50) or a {name: score} mapping.
    """
    w = check_weights(weights, "fuzzy.weights")
    if grades is None:
        grades = FUZZY_GRADES
    names = list(grades) if isinstance(grades, dict) else [str(i) for i in range(len(grades))]
    v = np.asarray(list(grades.values()) if isinstance(grades, dict) else grades, dtype=float)
    r = np.asarray(membership, dtype=float)
    if r.shape != (len(w), len(v)):
        raise ValidationError([issue("fuzzy.membership", list(r.shape), f"shape ({len(w)}, {len(v)})",
                                     f"隶属度矩阵形状应为 ({len(w)}, {len(v)})，实际 {r.shape}",
                                     f"the membership matrix must have shape ({len(w)}, {len(v)}), got {r.shape}")])
    bad = np.flatnonzero(~np.isfinite(r).all(axis=1) | (r < 0).any(axis=1) |
                         (np.abs(r.sum(axis=1) - 1.0) > 1e-6))
    if len(bad):
        i = int(bad[0])
        raise ValidationError([issue(f"fuzzy.membership[{i}]", r[i], "shares ≥ 0 summing to 1",
                                     f"隶属度矩阵第 {i + 1} 行 {np.round(r[i], 6).tolist()} 须为非负且合计为 1",
                                     f"membership row {i + 1} {np.round(r[i], 6).tolist()} must be ≥ 0 and sum to 1")])
    b = w @ r
    return FuzzyResult(b, float(b @ v), names[int(np.argmax(b))])

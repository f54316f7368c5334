"""Weights of quality indicators: AHP (层次分析法), entropy (熵权法), their combination, and
fuzzy comprehensive evaluation (模糊综合评价) — CAS 2023 art. 17, DOMAIN.md §5.3.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import RefusedError

__all__ = ["RI", "AHPResult", "ahp", "ahp_geometric", "entropy_weights", "combine_weights",
           "fuzzy_evaluation", "FUZZY_GRADES"]

# Saaty's random index for n = 1..10
RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
CR_LIMIT = 0.10


@dataclass(frozen=True)
class AHPResult:
    weights: np.ndarray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    accepted: bool
    override_reason: str | None = None


def _check_matrix(a: np.ndarray, field: str) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise RefusedError(f"判断矩阵必须是方阵，实际形状 {a.shape}", f"the pairwise matrix must be square, got shape {a.shape}",
                           field=field, value=list(a.shape), allowed="n × n")
    n = a.shape[0]
    if n > 10:
        raise RefusedError(f"判断矩阵阶数 {n} 超过 10（无 RI 值）", f"matrix order {n} exceeds 10 (no RI value)",
                           field=field, value=n, allowed="n ≤ 10")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise RefusedError("判断矩阵元素必须为正数", "pairwise matrix entries must be positive numbers",
                           field=field, value=a.tolist(), allowed="a_ij > 0")
    if not np.allclose(np.diag(a), 1.0, atol=1e-9):
        raise RefusedError("判断矩阵对角线必须为 1", "the diagonal of a pairwise matrix must be 1",
                           field=field, value=np.diag(a).tolist(), allowed="a_ii = 1")
    bad = np.argwhere(~np.isclose(a * a.T, 1.0, rtol=1e-3))
    if len(bad):
        i, j = (int(x) for x in bad[0])
        raise RefusedError(f"判断矩阵不互反：a[{i + 1},{j + 1}] × a[{j + 1},{i + 1}] = {a[i, j] * a[j, i]:.4g} ≠ 1",
                           f"the pairwise matrix is not reciprocal: a[{i + 1},{j + 1}] × a[{j + 1},{i + 1}] = "
                           f"{a[i, j] * a[j, i]:.4g} ≠ 1", field=field, value=[float(a[i, j]), float(a[j, i])],
                           allowed="a_ji = 1 / a_ij")
    return a


def ahp(matrix: np.ndarray, *, override_reason: str | None = None,
        field: str = "asset.quality.ahp_matrix") -> AHPResult:
    """AHP weights by the normalised principal eigenvector.

    λmax is the principal eigenvalue, CI = (λmax − n)/(n − 1), CR = CI / RI(n). A matrix with
    CR ≥ 0.10 is refused (Saaty's rule) unless ``override_reason`` documents why it is kept.
    """
    a = _check_matrix(matrix, field)
    n = a.shape[0]
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(vals[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RI[n]
    cr = ci / ri if ri > 0 else 0.0
    accepted = cr < CR_LIMIT
    if not accepted and not override_reason:
        raise RefusedError(
            f"判断矩阵一致性比率 CR = {cr:.4f} ≥ {CR_LIMIT:.2f}，未通过一致性检验；请调整判断矩阵，或说明接受的理由",
            f"consistency ratio CR = {cr:.4f} ≥ {CR_LIMIT:.2f}: the matrix fails the consistency test; "
            f"revise it or give a reason to accept it", field=field, value=round(cr, 6),
            allowed=f"CR < {CR_LIMIT}")
    return AHPResult(w, lam, ci, ri, cr, accepted, override_reason if not accepted else None)


def ahp_geometric(matrix: np.ndarray) -> np.ndarray:
    """Geometric-mean approximation of the AHP weights (row geometric means, normalised)."""
    a = _check_matrix(matrix, "matrix")
    g = np.exp(np.log(a).mean(axis=1))
    return g / g.sum()


def entropy_weights(x: np.ndarray, *, benefit: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Entropy weights of n indicators over m objects (rows).

    Min–max normalisation (benefit: (x−min)/(max−min); cost: (max−x)/(max−min)),
    p_ij = x'_ij / Σ_i x'_ij, e_j = −(1/ln m) Σ_i p_ij ln p_ij (0·ln 0 := 0), d_j = 1 − e_j,
    w_j = d_j / Σ d_j. Returns (weights, entropies).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise RefusedError("熵权法至少需要 2 个评价对象", "the entropy method needs at least 2 objects",
                           field="indicators", value=list(x.shape), allowed="m ≥ 2 rows")
    m, n = x.shape
    benefit = np.ones(n, bool) if benefit is None else np.asarray(benefit, bool)
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    xn = np.where(benefit, (x - lo) / span, (hi - x) / span)
    col = xn.sum(axis=0)
    p = np.divide(xn, col, out=np.zeros_like(xn), where=col > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    e = np.where(col > 0, e, 1.0)   # a constant indicator carries no information
    d = 1.0 - e
    if d.sum() <= 0:
        return np.full(n, 1.0 / n), e
    return d / d.sum(), e


def combine_weights(w_ahp: np.ndarray, w_ent: np.ndarray, *, alpha: float = 0.5,
                    method: str = "linear") -> np.ndarray:
    """Subjective + objective weights: ``linear`` α·w_AHP + (1−α)·w_ent, or ``product``
    w_AHP·w_ent / Σ (DOMAIN.md §5.3)."""
    a, b = np.asarray(w_ahp, float), np.asarray(w_ent, float)
    if method == "product":
        w = a * b
        return w / w.sum()
    if not 0 <= alpha <= 1:
        raise RefusedError(f"组合系数 α = {alpha} 不在 [0, 1]", f"mixing coefficient α = {alpha} is outside [0, 1]",
                           field="alpha", value=alpha, allowed="0 ≤ α ≤ 1")
    return alpha * a + (1 - alpha) * b


FUZZY_GRADES = {"优": 95.0, "良": 85.0, "中": 70.0, "差": 50.0}


def fuzzy_evaluation(weights: np.ndarray, membership: np.ndarray,
                     grades: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Fuzzy comprehensive evaluation with the weighted-average operator: B = W ∘ R,
    score = B · V (V = grade scores, default 优 95, 良 85, 中 70, 差 50)."""
    w = np.asarray(weights, float)
    r = np.asarray(membership, float)
    v = np.asarray(list(FUZZY_GRADES.values()) if grades is None else grades, float)
    if r.shape != (len(w), len(v)):
        raise RefusedError(f"隶属度矩阵形状应为 {(len(w), len(v))}", f"membership matrix must have shape {(len(w), len(v))}",
                           field="membership", value=list(r.shape), allowed=str((len(w), len(v))))
    b = w @ r
    return b, float(b @ v)

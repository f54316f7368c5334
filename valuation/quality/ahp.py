"""Analytic hierarchy process (层次分析法, AHP) — CAS 2023 art. 17, docs/DOMAIN.md §5.3.

Weights are the normalised principal (Perron) eigenvector of a positive reciprocal pairwise
matrix A (Saaty scale 1–9, a_ji = 1/a_ij). Consistency:

    λmax = principal eigenvalue,  CI = (λmax − n)/(n − 1),  CR = CI / RI(n),  accept CR < 0.10

RI (Saaty): n = 1..10 → 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49. A matrix with
CR ≥ 0.10 is refused unless an ``override_reason`` says why it is kept. The geometric-mean
(row geometric mean) method is given as the usual approximation.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import RefusedError, ValidationError
from .checks import issue

__all__ = ["CR_LIMIT", "RI", "AHPResult", "ahp", "ahp_batch", "ahp_geometric", "check_pairwise"]

RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
CR_LIMIT = 0.10
_RECIP_RTOL = 1e-3   # a_ij × a_ji = 1 within 0.1 % (matrices typed with 0.333 for 1/3 pass)


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one pairwise matrix."""

    weights: np.ndarray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    accepted: bool                  # CR < 0.10 (or n ≤ 2)
    override_reason: str | None = None
    method: str = "eigenvector"

    def to_dict(self) -> dict[str, Any]:
        return {"weights": [float(x) for x in self.weights], "lambda_max": self.lambda_max,
                "ci": self.ci, "ri": self.ri, "cr": self.cr, "accepted": self.accepted,
                "override_reason": self.override_reason, "method": self.method}


def _pairwise_issues(a: np.ndarray, field: str, asset_id: str | None = None) -> list:
    """Problems of one matrix (empty list = valid)."""
    where = f"{field}[{asset_id}]" if asset_id else field
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        return [issue(field, list(a.shape), "square n × n matrix",
                      f"{where} 判断矩阵必须是方阵，实际形状 {a.shape}",
                      f"{where}: the pairwise matrix must be square, got shape {a.shape}", asset_id)]
    n = a.shape[0]
    if n > 10:
        return [issue(field, n, "n ≤ 10 (Saaty RI table)", f"{where} 判断矩阵阶数 {n} 超过 10（RI 表无此值）",
                      f"{where}: matrix order {n} exceeds 10 (no RI value)", asset_id)]
    out = []
    bad = np.argwhere(~np.isfinite(a) | (a <= 0))
    for i, j in bad[:5]:
        out.append(issue(f"{field}[{i + 1},{j + 1}]", float(a[i, j]), "a_ij > 0",
                         f"{where} 元素 a[{i + 1},{j + 1}] = {a[i, j]:.4g} 不是正数",
                         f"{where}: entry a[{i + 1},{j + 1}] = {a[i, j]:.4g} is not a positive number", asset_id))
    if out:
        return out
    for i in np.flatnonzero(np.abs(np.diag(a) - 1.0) > 1e-9)[:3]:
        out.append(issue(f"{field}[{i + 1},{i + 1}]", float(a[i, i]), "a_ii = 1",
                         f"{where} 对角元素 a[{i + 1},{i + 1}] = {a[i, i]:.4g}，应为 1",
                         f"{where}: diagonal entry a[{i + 1},{i + 1}] = {a[i, i]:.4g} must be 1", asset_id))
    prod = a * a.T
    bad = np.argwhere(np.triu(~np.isclose(prod, 1.0, rtol=_RECIP_RTOL, atol=0.0), 1))
    for i, j in bad[:5]:
        out.append(issue(f"{field}[{i + 1},{j + 1}]", [float(a[i, j]), float(a[j, i])], "a_ji = 1 / a_ij",
                         f"{where} 判断矩阵不互反：a[{i + 1},{j + 1}] = {a[i, j]:.4g}，a[{j + 1},{i + 1}] = "
                         f"{a[j, i]:.4g}，乘积 {prod[i, j]:.4g} ≠ 1",
                         f"{where}: the pairwise matrix is not reciprocal: a[{i + 1},{j + 1}] = {a[i, j]:.4g}, "
                         f"a[{j + 1},{i + 1}] = {a[j, i]:.4g}, product {prod[i, j]:.4g} ≠ 1", asset_id))
    return out


def check_pairwise(matrix: Any, field: str = "ahp_matrix") -> np.ndarray:
    """A valid pairwise matrix as float array, or :class:`ValidationError` naming the cells."""
    try:
        a = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValidationError([issue(field, str(matrix)[:80], "square matrix of positive numbers",
                                     f"{field} 不是数值方阵：{e}", f"{field} is not a numeric square matrix: {e}")])
    probs = _pairwise_issues(a, field)
    if probs:
        raise ValidationError(probs)
    return a


def ahp_batch(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Principal eigenvector weights of k valid n × n matrices at once.

    Returns ``(weights (k, n), lambda_max (k,), ci (k,), cr (k,))``; no validation, no refusal.
    """
    s = np.asarray(stack, dtype=float)
    k, n, _ = s.shape
    if n == 1:
        return np.ones((k, 1)), np.ones(k), np.zeros(k), np.zeros(k)
    vals, vecs = np.linalg.eig(s)
    j = np.argmax(vals.real, axis=1)
    lam = vals.real[np.arange(k), j]
    v = np.abs(vecs.real[np.arange(k), :, j])
    w = v / v.sum(axis=1, keepdims=True)
    ci = (lam - n) / (n - 1)
    ri = RI[n]
    cr = ci / ri if ri > 0 else np.zeros(k)
    return w, lam, ci, cr


def _refusal(cr: float, field: str, asset_id: str | None = None) -> RefusedError:
    where = f"{field}[{asset_id}] " if asset_id else ""
    return RefusedError(
        f"{where}判断矩阵一致性比率 CR = {cr:.4f} ≥ {CR_LIMIT:.2f}，未通过一致性检验（第十七条，层次分析法）；"
        f"请修改判断矩阵，或给出接受理由（override_reason / asset.quality.cr_override_reason）",
        f"{where}consistency ratio CR = {cr:.4f} ≥ {CR_LIMIT:.2f}: the pairwise matrix fails the consistency "
        f"test (art. 17, AHP); revise it or give the reason to accept it (override_reason / "
        f"asset.quality.cr_override_reason)", field=field, value=round(float(cr), 6),
        allowed=f"CR < {CR_LIMIT:.2f}", asset_id=asset_id)


def ahp(matrix: Any, *, override_reason: str | None = None, field: str = "asset.quality.ahp_matrix"
        ) -> AHPResult:
    """AHP weights of one pairwise matrix by the normalised principal eigenvector.

    Parameters
    ----------
    matrix : n × n positive reciprocal matrix (n ≤ 10).
    override_reason : documented reason to keep a matrix with CR ≥ 0.10 (else refused).

    Raises
    ------
    ValidationError : not square, non-positive entries, diagonal ≠ 1, not reciprocal.
    RefusedError : CR ≥ 0.10 without ``override_reason`` (message names CR and the limit).

    Fixture F3 (docs/DOMAIN.md §8.2): w = 0.1357, 0.2311, 0.3657, 0.1357, 0.0803, 0.0515;
    λmax = 6.0732, CI = 0.0146, RI = 1.24, CR = 0.0118.
    """
    a = check_pairwise(matrix, field)
    n = a.shape[0]
    w, lam, ci, cr = ahp_batch(a[None])
    crf = float(cr[0])
    accepted = bool(crf < CR_LIMIT)
    if not accepted and not (override_reason and str(override_reason).strip()):
        raise _refusal(crf, field)
    return AHPResult(w[0], float(lam[0]), float(ci[0]), RI[n], crf, accepted,
                     None if accepted else str(override_reason))


def ahp_geometric(matrix: Any, field: str = "ahp_matrix") -> np.ndarray:
    """Geometric-mean approximation: w_i = (Π_j a_ij)^(1/n) / Σ_k (Π_j a_kj)^(1/n).

    F3: 0.1364, 0.2317, 0.3639, 0.1364, 0.0803, 0.0512 (within 1e-2 of the eigenvector)."""
    a = check_pairwise(matrix, field)
    g = np.exp(np.log(a).mean(axis=1))
    return g / g.sum()


def pairwise_stack_issues(mats: Sequence[np.ndarray], ids: Sequence[str], field: str) -> dict[str, list]:
    """Issues per asset for a list of matrices (used by the portfolio path)."""
    out: dict[str, list] = {}
    for m, aid in zip(mats, ids):
        p = _pairwise_issues(np.asarray(m, dtype=float), field, aid)
        if p:
            out[aid] = p
    return out

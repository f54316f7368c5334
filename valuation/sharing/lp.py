"""Least core and nucleolus by linear programming (SciPy ``linprog``, HiGHS).

Least core (Maschler, Peleg & Shapley 1979)::

    minimise e  subject to  x(S) + e ≥ v(S) for every proper non-empty S,  x(N) = v(N)

``e*`` is the least-core excess: the core is empty iff ``e* > 0``; when ``e* ≤ 0`` the least
core lies inside the core. The nucleolus is found by the sequential LP method: after each
level, the coalitions with a positive dual price are tight in *every* optimal solution
(complementary slackness), so they are fixed at that excess and the LP is solved again over
the rest, until the fixed coalitions' indicator vectors span ℝⁿ and x is unique.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..core.errors import RefusedError
from .games import _check

__all__ = ["LeastCore", "least_core", "nucleolus", "LP_MAX_N"]

#: 2**16 rows × 16 columns is the largest LP solved here in well under a second
LP_MAX_N = 16


@dataclass(frozen=True)
class LeastCore:
    x: np.ndarray          # one allocation in the least core
    excess: float          # e*
    core_empty: bool       # e* > tol
    levels: int = 1        # LP rounds (nucleolus)


def _incidence(n: int, masks: np.ndarray) -> sparse.csr_matrix:
    bits = ((masks[:, None] >> np.arange(n)[None, :]) & 1).astype(float)
    return sparse.csr_matrix(bits)


def _limit(n: int, what: str, limit: int) -> None:
    if n > limit:
        raise RefusedError(f"{what}的线性规划最多支持 {limit} 个参与方，现有 {n} 个",
                           f"the {what} LP supports at most {limit} participants, got {n}",
                           field="participants", value=n, allowed=f"<= {limit}")


def _solve(n: int, A: sparse.csr_matrix, rhs: np.ndarray, A_eq: sparse.csr_matrix, b_eq: np.ndarray):
    """min e s.t. −A x − e ≤ −rhs; A_eq x = b_eq (variables x₁…xₙ, e; all free)."""
    m = A.shape[0]
    A_ub = sparse.hstack([-A, -np.ones((m, 1))], format="csr")
    A_eq2 = sparse.hstack([A_eq, sparse.csr_matrix((A_eq.shape[0], 1))], format="csr")
    c = np.zeros(n + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=A_ub, b_ub=-rhs, A_eq=A_eq2, b_eq=b_eq, bounds=[(None, None)] * (n + 1),
                  method="highs")
    if res.status != 0:
        raise RefusedError(f"线性规划求解失败：{res.message}", f"the LP failed: {res.message}",
                           field="method", value="least_core", allowed="a solvable game")
    return res


def least_core(v: np.ndarray, *, tol: float = 1e-9) -> LeastCore:
    """One point of the least core and e* (see the module docstring)."""
    v, n = _check(v)
    _limit(n, "最小核", LP_MAX_N)
    if n == 1:
        return LeastCore(np.array([v[-1]]), 0.0, False)
    masks = np.arange(1, 2 ** n - 1)
    res = _solve(n, _incidence(n, masks), v[masks], sparse.csr_matrix(np.ones((1, n))),
                 np.array([v[-1]]))
    e = float(res.x[-1])
    scale = max(1.0, float(np.abs(v).max()))
    return LeastCore(res.x[:n], e, bool(e > tol * scale))


def nucleolus(v: np.ndarray, *, tol: float = 1e-9, max_n: int = 12) -> LeastCore:
    """The nucleolus by sequential LPs; ``excess`` is the first level (e*)."""
    v, n = _check(v)
    _limit(n, "核仁", max_n)
    if n == 1:
        return LeastCore(np.array([v[-1]]), 0.0, False)
    scale = max(1.0, float(np.abs(v).max()))
    free = np.arange(1, 2 ** n - 1)
    fixed_rows = [np.ones(n)]
    fixed_rhs = [float(v[-1])]
    first = None
    x = None
    for level in range(1, 2 ** n):
        A = _incidence(n, free)
        res = _solve(n, A, v[free], sparse.csr_matrix(np.array(fixed_rows)), np.array(fixed_rhs))
        e = float(res.x[-1])
        x = res.x[:n]
        first = e if first is None else first
        duals = -np.asarray(res.ineqlin.marginals)         # ≥ 0 for binding ≤ rows
        tight = duals > tol
        if not tight.any():
            raise RefusedError("核仁求解未找到紧约束（数值问题）", "the nucleolus LP found no tight coalition "
                               "(numerical trouble)", field="method", value="nucleolus", allowed="a well-scaled game")
        for mk in free[tight]:
            fixed_rows.append(((int(mk) >> np.arange(n)) & 1).astype(float))
            fixed_rhs.append(float(v[mk]) - e)
        F = np.array(fixed_rows)
        if np.linalg.matrix_rank(F, tol=1e-9) >= n:
            sol = np.linalg.lstsq(F, np.array(fixed_rhs), rcond=None)[0]
            return LeastCore(sol, first, bool(first > tol * scale), level)
        # coalitions whose x(S) the fixed ones already determine have a constant excess: drop them
        keep = ~tight
        rest = free[keep]
        B = _incidence(n, rest).toarray()
        coef, *_ = np.linalg.lstsq(F.T, B.T, rcond=None)
        in_span = np.abs(F.T @ coef - B.T).max(axis=0) <= 1e-9
        free = rest[~in_span]
        if not len(free):
            sol = np.linalg.lstsq(F, np.array(fixed_rhs), rcond=None)[0]
            return LeastCore(sol, first, bool(first > tol * scale), level)
    assert x is not None
    return LeastCore(x, first or 0.0, False, 2 ** n)

"""Cooperative-game allocations over a characteristic function stored as a bitmask array.

A game of ``n`` players is the array ``v`` of length ``2**n``: ``v[m]`` is the value the
coalition ``S = {j : bit j of m is set}`` creates on its own, ``v[0] = 0`` (docs/sharing.md).
Every method works on whole arrays: the marginal contributions of player ``j`` are the two
halves of ``v.reshape(-1, 2, 2**j)`` (coalitions without and with ``j``), so exact Shapley for
20 players is 20 vectorised passes over 2**20 values, no Python loop over coalitions.

Formulas (Shapley 1953; Banzhaf 1965; Maschler, Peleg & Shapley 1979)::

    Shapley   φ_j = Σ_{S ∌ j} |S|!(n−|S|−1)!/n! · (v(S ∪ j) − v(S))
    Banzhaf   β_j = Σ_{S ∌ j} (v(S ∪ j) − v(S)) / 2^(n−1),  normalised β_j / Σβ · v(N)
    sampling  φ̂_j = mean over random orders π of v(P_j^π ∪ j) − v(P_j^π),
              SE_j = sd / √m; stop when max_j SE_j ≤ tolerance (or at max_permutations)
    excess    e(S, x) = v(S) − x(S); x is in the core iff max_S e(S, x) ≤ 0
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.errors import RefusedError

__all__ = ["popcount", "coalition_sums", "shapley_exact", "banzhaf", "shapley_sampling",
           "SamplingResult", "core_excess", "masks_to_members", "EXACT_MAX_N"]

#: largest game solved by full enumeration (2**20 values = 8 MB of float64)
EXACT_MAX_N = 20


def popcount(n: int) -> np.ndarray:
    """|S| for every bitmask ``0 … 2**n − 1`` (int8), built by doubling: the masks with bit
    ``j`` set are the previous block shifted by ``2**j``, one more member each."""
    pc = np.zeros(1, dtype=np.int8)
    for _ in range(n):
        pc = np.concatenate([pc, pc + 1])
    return pc


def coalition_sums(x: np.ndarray) -> np.ndarray:
    """``x(S) = Σ_{j ∈ S} x_j`` for every bitmask (length ``2**n``), by the same doubling."""
    s = np.zeros(1, dtype=float)
    for xj in np.asarray(x, dtype=float):
        s = np.concatenate([s, s + xj])
    return s


def masks_to_members(masks: np.ndarray, n: int) -> list[list[int]]:
    """Player indices of each bitmask (for messages and traces)."""
    return [[j for j in range(n) if (int(m) >> j) & 1] for m in np.atleast_1d(masks)]


def _check(v: np.ndarray) -> tuple[np.ndarray, int]:
    v = np.asarray(v, dtype=float)
    n = int(round(math.log2(len(v)))) if len(v) else -1
    if n < 1 or len(v) != 2 ** n:
        raise RefusedError(f"特征函数长度 {len(v)} 不是 2 的正整数次幂",
                           f"a characteristic function needs 2**n values, got {len(v)}",
                           field="coalition_values", value=len(v), allowed="2**n, n ≥ 1")
    if n > EXACT_MAX_N:
        raise RefusedError(f"{n} 个参与方超过精确计算上限 {EXACT_MAX_N}",
                           f"{n} players exceed the exact-enumeration limit of {EXACT_MAX_N}",
                           field="participants", value=n, allowed=f"<= {EXACT_MAX_N}")
    return v, n


def _marginal_sum(v: np.ndarray, n: int, weight: np.ndarray) -> np.ndarray:
    """``Σ_{S ∌ j} weight[S] · (v(S ∪ j) − v(S))`` for every player j (vectorised per j)."""
    out = np.empty(n)
    for j in range(n):
        v3 = v.reshape(-1, 2, 2 ** j)
        w3 = weight.reshape(-1, 2, 2 ** j)[:, 0, :]
        out[j] = np.sum((v3[:, 1, :] - v3[:, 0, :]) * w3)
    return out


def shapley_exact(v: np.ndarray) -> np.ndarray:
    """Exact Shapley value of the game ``v`` (length ``2**n``, ``n ≤ 20``).

    The weight of a coalition S not containing j is ``|S|!(n−|S|−1)!/n! = 1/(n·C(n−1,|S|))``,
    computed from binomial coefficients (exact integers up to n = 20) rather than factorials.
    Efficiency Σφ = v(N) holds up to floating-point rounding.
    """
    v, n = _check(v)
    w_by_size = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)] + [0.0])
    return _marginal_sum(v, n, w_by_size[popcount(n)])


def banzhaf(v: np.ndarray, *, normalised: bool = True) -> np.ndarray:
    """Banzhaf value; ``normalised`` rescales it to sum to v(N) (the normalised Banzhaf
    index used for allocation). Refused when the raw values sum to 0 (nothing to rescale)."""
    v, n = _check(v)
    raw = _marginal_sum(v, n, np.full(len(v), 1.0 / 2 ** (n - 1)))
    if not normalised:
        return raw
    tot = raw.sum()
    if abs(tot) <= 1e-12 * max(1.0, float(np.abs(v).max())):
        raise RefusedError("Banzhaf 值之和为 0，无法归一化", "the Banzhaf values sum to 0 and cannot be normalised",
                           field="method", value="banzhaf", allowed="a game with Σβ ≠ 0")
    return raw / tot * v[-1]


def core_excess(v: np.ndarray, x: np.ndarray) -> tuple[float, int]:
    """``(max_S e(S, x), the bitmask attaining it)`` over proper non-empty coalitions
    (the grand coalition's excess is fixed by efficiency); ``(0.0, 0)`` for one player."""
    v, n = _check(v)
    if n == 1:
        return 0.0, 0
    e = v - coalition_sums(x)
    e = e[1:-1]
    k = int(np.argmax(e))
    return float(e[k]), k + 1


@dataclass(frozen=True)
class SamplingResult:
    """Permutation-sampling Shapley estimate with its precision."""

    values: np.ndarray          # φ̂ per player
    std_error: np.ndarray       # SE per player = sample sd of the marginals / √m
    permutations: int           # m
    converged: bool             # max SE ≤ tolerance before max_permutations
    tolerance: float


def shapley_sampling(value_fn: Callable[[np.ndarray], np.ndarray], n: int, *, tolerance: float,
                     max_permutations: int = 20_000, batch: int = 200, seed: int = 0,
                     min_permutations: int = 200) -> SamplingResult:
    """Shapley value by random orders (Castro, Gómez & Tejada 2009).

    ``value_fn(members)`` takes a boolean matrix (coalitions × n) and returns their values,
    all at once. Each batch draws ``batch`` orders; for every order the n + 1 prefix coalitions
    are evaluated in one call and their differences are the marginal contributions. Stopping
    rule: after at least ``min_permutations`` orders, stop as soon as the largest standard
    error ``max_j sd_j/√m`` is ≤ ``tolerance`` (absolute, in the game's money), or at
    ``max_permutations``. Each order's marginals sum to v(N), so the estimate is efficient.
    """
    rng = np.random.default_rng(seed)
    # at most ~2·10⁶ membership cells per batch: bounded memory for any n
    batch = max(1, min(batch, 2_000_000 // ((n + 1) * n)))
    min_permutations = min(min_permutations, max_permutations)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    m = 0
    se = np.full(n, np.inf)
    rows = np.arange(n + 1)[:, None]
    while m < max_permutations:
        b = min(batch, max_permutations - m)
        perms = np.argsort(rng.random((b, n)), axis=1)           # b random orders
        rank = np.empty_like(perms)
        np.put_along_axis(rank, perms, np.arange(n)[None, :], axis=1)   # position of each player
        members = rank[:, None, :] < rows[None, :, :]             # (b, n+1, n): prefixes of length k
        vals = np.asarray(value_fn(members.reshape(-1, n)), dtype=float).reshape(b, n + 1)
        marg_pos = np.diff(vals, axis=1)                          # (b, n) by position
        marg = np.take_along_axis(marg_pos, rank, axis=1)         # by player
        s1 += marg.sum(axis=0)
        s2 += (marg ** 2).sum(axis=0)
        m += b
        if m >= 2:
            var = np.maximum(s2 / m - (s1 / m) ** 2, 0.0) * m / (m - 1)
            se = np.sqrt(var / m)
        if m >= min_permutations and float(se.max()) <= tolerance:
            return SamplingResult(s1 / m, se, m, True, tolerance)
    return SamplingResult(s1 / m, se, m, bool(float(se.max()) <= tolerance), tolerance)

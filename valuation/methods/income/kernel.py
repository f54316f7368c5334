"""The one discounting kernel of the income approach, vectorised over assets × periods.

P = Σ_t w_t F_t v_t + TV, v_t = (1 + i)^(−τ_t), with τ_t the time from the valuation date to
the end of period t (``end``) or its middle (``mid``); a partial first period of length f
(days to the first period end / 365) shifts every later period by f − 1. w_t ∈ [0, 1] is the
share of period t inside the economic life. A Gordon terminal value TV = F_n (1+g)/(i − g) is
discounted with period n's factor (refused when g ≥ i). CAS 2023 art. 21, annex.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DiscountResult", "exponents", "discount"]


@dataclass(frozen=True)
class DiscountResult:
    value: np.ndarray        # (n,)
    pv_explicit: np.ndarray  # (n,)
    pv_terminal: np.ndarray  # (n,)
    factors: np.ndarray      # (n, T) discount factors actually used
    tau: np.ndarray          # (n, T) exponents


def exponents(n_periods: int, first_fraction: np.ndarray, mid: np.ndarray) -> np.ndarray:
    """τ (n_assets × T): end of period t at f + (t − 1); mid-period subtracts half the period
    length (f for the first period, 1 afterwards)."""
    f = np.asarray(first_fraction, float)[:, None]
    t = np.arange(1, n_periods + 1, dtype=float)[None, :]
    end = f + (t - 1)
    length = np.where(t == 1, f, 1.0)
    return np.where(np.asarray(mid, bool)[:, None], end - 0.5 * length, end)


def discount(flows: np.ndarray, rate: np.ndarray, *, weights: np.ndarray | None = None,
             first_fraction: np.ndarray | None = None, mid: np.ndarray | None = None,
             terminal_growth: np.ndarray | None = None, publication: np.ndarray | None = None
             ) -> DiscountResult:
    """Present value of per-period flows for every asset.

    Parameters
    ----------
    flows : (n, T) income F_t (NaN = no flow).
    rate : (n,) discount rate i.
    weights : (n, T) share of each period inside the economic life (default 1).
    first_fraction : (n,) length of the first period in years (default 1).
    mid : (n,) bool, mid-period convention.
    terminal_growth : (n,) g for a Gordon terminal value after the last weighted period (NaN = none).
    publication : (n,) bool, present-value factors rounded to 4 decimals as textbooks print them.
    """
    F = np.asarray(flows, float)
    n, T = F.shape
    i = np.asarray(rate, float)
    w = np.ones_like(F) if weights is None else np.asarray(weights, float)
    f = np.ones(n) if first_fraction is None else np.asarray(first_fraction, float)
    m = np.zeros(n, bool) if mid is None else np.asarray(mid, bool)
    pub = np.zeros(n, bool) if publication is None else np.asarray(publication, bool)
    tau = exponents(T, f, m)
    v = (1.0 + i)[:, None] ** (-tau)
    v = np.where(pub[:, None], np.round(v, 4), v)
    Fw = np.nan_to_num(F) * w
    pv = (Fw * v).sum(axis=1)
    tv = np.zeros(n)
    if terminal_growth is not None:
        g = np.asarray(terminal_growth, float)
        has = ~np.isnan(g)
        # last period with a positive weight carries the perpetuity
        last = np.where((w > 0) & ~np.isnan(F), np.arange(T)[None, :], -1).max(axis=1)
        ok = has & (last >= 0) & (g < i)
        rows = np.flatnonzero(ok)
        if len(rows):
            Fn = np.nan_to_num(F[rows, last[rows]]) * w[rows, last[rows]]
            tv[rows] = Fn * (1 + g[rows]) / (i[rows] - g[rows]) * v[rows, last[rows]]
    return DiscountResult(pv + tv, pv, tv, v, tau)

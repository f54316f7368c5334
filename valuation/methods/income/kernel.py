"""The one discounting kernel of the income approach, vectorised over assets × periods.

Formula (中评协〔2023〕17号 art. 21 and annex, docs/DOMAIN.md §3.2)::

    P  = Σ_t w_t F_t v_t + TV
    v_t = (1 + i)^(−τ_t)
    τ_t = f + (t − 1)                      end of period t  (``end``)
    τ_t = f + (t − 1) − ½ len_t            middle of period t (``mid``), len_1 = f, len_t = 1
    TV  = F_n (1 + g) / (i − g) × v_n       Gordon terminal value after the last period n

``f`` is the length of the first period in years (days from the valuation date to the end of
the first period / 365; 1 when the valuation date is a period end). ``w_t ∈ [0, 1]`` is the
share of period t inside the economic life (:func:`life_weights`). Under the mid-period
convention the terminal value is discounted with v_n as well, so that the perpetuity of flows
at n + ½, n + 1½, … is valued consistently and ``mid = end × (1 + i)^½`` holds for full periods.

Rounding modes: ``exact`` (default) and ``publication`` — the rate and the growth rounded to
2 decimals in per cent and every present-value factor to 4 decimals, as textbook tables print
them (docs/DOMAIN.md §8.1, §9).

g ≥ i is refused: the Gordon series diverges (see :func:`terminal_refusal`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.errors import RefusedError
from ..base import nan_to_num

__all__ = [
    "DiscountResult",
    "discount",
    "exponents",
    "factors",
    "fill_nan",
    "flow_terms",
    "horizon_years",
    "life_weights",
    "per_row",
    "period_grid",
    "row_sum",
    "rows_all",
    "rows_any",
    "publication_rate",
    "terminal_messages",
    "terminal_refusal",
]


@dataclass(frozen=True)
class DiscountResult:
    """Output of :func:`discount` (one entry / row per asset)."""

    value: np.ndarray        # (n,) P = pv_explicit + pv_terminal (NaN where g ≥ i)
    pv_explicit: np.ndarray  # (n,)
    pv_terminal: np.ndarray  # (n,)
    factors: np.ndarray      # (n, T) present-value factors actually used
    tau: np.ndarray          # (n, T) exponents τ_t in years
    rate: np.ndarray         # (n,) rate actually used (rounded in publication mode)
    terminal_refused: np.ndarray  # (n,) bool, g ≥ i


# Elementwise work on assets × periods arrays is done on whole (n, T) arrays: an operation
# broadcasting an (n,) column over the T columns (``x[:, None] * F``) runs numpy's inner loop
# once per row, over T ≈ 5 elements — a loop start per row, where two (n, T) arrays take one
# loop — for the thousands of rows of a replicated portfolio. Each element is still the one
# IEEE operation on the same two numbers, so the results are the same to the last bit. (The powers keep their broadcast form:
# a contiguous power may take another, vectorised code path on some CPUs.)
def per_row(x: np.ndarray, n_periods: int) -> np.ndarray:
    """``x[:, None]`` as a contiguous (n, T) array (each row T copies of x[i])."""
    x = np.asarray(x)
    return np.repeat(x, n_periods).reshape(len(x), n_periods)


def rows_all(m: np.ndarray) -> np.ndarray:
    """``m.all(axis=1)`` of an (n, T) bool array, a column at a time (numpy reduces each row's
    T ≈ 5 values in a loop of its own, a loop start per row of the thousands of a replicated
    portfolio; a logical reduction, so the same result whatever the order)."""
    m = np.asarray(m, bool)
    if m.shape[1] == 0:
        return np.ones(len(m), bool)
    return np.logical_and.reduce([m[:, j] for j in range(m.shape[1])])


def rows_any(m: np.ndarray) -> np.ndarray:
    """``m.any(axis=1)`` of an (n, T) bool array, a column at a time (see :func:`rows_all`)."""
    m = np.asarray(m, bool)
    if m.shape[1] == 0:
        return np.zeros(len(m), bool)
    return np.logical_or.reduce([m[:, j] for j in range(m.shape[1])])


# numpy's row sum of fewer than 8 values is one sequential loop per row starting from 0.0,
# ((0.0 + x_0) + x_1) + …: a column at a time it is the same IEEE additions in the same order
# (the zero start keeps the sign of an all −0.0 row as numpy gives it). Wider rows are summed
# pairwise by numpy and go to it. The rule is checked once per process against numpy on a probe
# of awkward values (signed zeros, NaN, inf, magnitudes apart): any difference and np.sum is used.
_ROW_SUM_MAX = 7
_row_sum_ok: bool | None = None


def _row_sum_cols(x: np.ndarray) -> np.ndarray:
    acc = 0.0 + x[:, 0]
    for j in range(1, x.shape[1]):
        np.add(acc, x[:, j], out=acc)
    return acc


def _row_sum_checked() -> bool:
    global _row_sum_ok
    if _row_sum_ok is None:
        rng = np.random.default_rng(20240601)
        ok = True
        for t in range(1, _ROW_SUM_MAX + 1):
            x = rng.standard_normal((4096, t)) * 10.0 ** rng.integers(-12, 13, (4096, t))
            x[rng.random(x.shape) < 0.25] = 0.0
            x[rng.random(x.shape) < 0.4] *= -1.0
            x[rng.random(x.shape) < 0.01] = np.nan
            x[rng.random(x.shape) < 0.01] = np.inf
            x[:64] = -0.0                      # rows of −0.0 only (and mixed below)
            x[32:64, 0] = 0.0
            a, b = x.sum(axis=1), _row_sum_cols(x)
            ok &= bool(np.array_equal(np.isnan(a), np.isnan(b))
                       and np.array_equal(np.where(np.isnan(a), 0.0, a).view(np.int64),
                                          np.where(np.isnan(b), 0.0, b).view(np.int64)))
        _row_sum_ok = ok
    return _row_sum_ok


def row_sum(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=1)`` of an (n, T) float array, bit for bit: a column at a time for
    T ≤ 7 (numpy reduces each row's few values in a loop of its own, a loop start per row of
    the thousands of a replicated portfolio), numpy's own sum otherwise."""
    x = np.asarray(x, float)
    if x.ndim == 2 and 1 <= x.shape[1] <= _ROW_SUM_MAX and _row_sum_checked():
        return _row_sum_cols(x)
    return x.sum(axis=1)


def fill_nan(x: np.ndarray, nan: float = 0.0) -> np.ndarray:
    """``np.nan_to_num(x, nan=nan)`` of ``x`` as a float array (a new array: NaN → ``nan``,
    ±inf → the largest finite floats), by the approaches' cheaper
    :func:`~valuation.methods.base.nan_to_num`."""
    return nan_to_num(np.asarray(x, float), nan=nan)


def period_grid(n_periods: int, first_fraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of every period in years from the valuation date, each (n, T).

    Period 1 runs from 0 to f; period t ≥ 2 from f + t − 2 to f + t − 1.
    """
    f = np.asarray(first_fraction, float)
    start = np.empty((len(f), n_periods))
    length = np.ones((len(f), n_periods))
    start[:, :1] = 0.0
    length[:, :1] = f[:, None]
    for t in range(2, n_periods + 1):      # a column at a time (see per_row): (f + t) − 2
        start[:, t - 1] = f + float(t) - 2
    return start, length


def exponents(n_periods: int, first_fraction: np.ndarray, mid: np.ndarray) -> np.ndarray:
    """τ (n × T): end of period t at f + (t − 1); mid-period subtracts half its length."""
    start, length = period_grid(n_periods, first_fraction)
    end = start + length
    return np.where(per_row(np.asarray(mid, bool), n_periods), end - 0.5 * length, end)


def horizon_years(periods: np.ndarray, first_fraction: np.ndarray) -> np.ndarray:
    """Years covered by ``periods`` periods: f + (periods − 1)."""
    return np.asarray(first_fraction, float) + np.asarray(periods, float) - 1.0


def life_weights(life_years: np.ndarray, n_periods: int, first_fraction: np.ndarray) -> np.ndarray:
    """w_t = clip((n − start_t) / len_t, 0, 1): the share of period t inside a life of n years.

    A fractional last period (e.g. rights ending mid-year) counts pro rata temporis.
    """
    start, length = period_grid(n_periods, first_fraction)
    life = per_row(np.asarray(life_years, float), n_periods)
    with np.errstate(invalid="ignore"):
        w = np.clip((life - start) / length, 0.0, 1.0)
    return np.where(np.isnan(w), 0.0, w)     # nan_to_num: w has no infinity (clipped)


def publication_rate(rate: np.ndarray) -> np.ndarray:
    """A rate rounded to 2 decimals in per cent (0.123456 → 0.1235), as textbooks print it."""
    return np.round(np.asarray(rate, float) * 100.0, 2) / 100.0


def factors(rate: np.ndarray, tau: np.ndarray, publication: np.ndarray | None = None) -> np.ndarray:
    """Present-value factors v = (1 + i)^(−τ), rounded to 4 decimals where ``publication``."""
    i = np.asarray(rate, float)
    with np.errstate(invalid="ignore", over="ignore"):
        v = (1.0 + i)[:, None] ** (-np.asarray(tau, float))
    pub = None if publication is None else np.asarray(publication, bool)
    if pub is None or not pub.any():   # nothing to round (the usual case): skip the rounding pass
        return v
    return np.where(pub[:, None], np.round(v, 4), v)


def flow_terms(flows: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(w_t F_t with NaN as 0, index of the last period with a positive weight and a flow or −1):
    the rate-independent part of :func:`discount`, worked out once by a caller discounting the
    same flows at several rates (the value and its low/high rates)."""
    F, w = np.asarray(flows, float), np.asarray(weights, float)
    T = F.shape[1]
    live = (w > 0) & ~np.isnan(F)
    last = np.where(rows_any(live), T - 1 - np.argmax(live[:, ::-1], axis=1), -1)
    return fill_nan(F) * w, last


def terminal_messages(g: float, i: float) -> tuple[str, str]:
    """Bilingual reason for a refused Gordon terminal value, naming both rates."""
    zh = (f"永续增长率 g = {g:.4%} 不低于折现率 i = {i:.4%}（g ≥ i），戈登永续模型 TV = F_n(1+g)/(i−g) "
          f"不收敛，拒绝计算；请降低 g 或去掉永续期（第二十一条）")
    en = (f"terminal growth g = {g:.4%} is not below the discount rate i = {i:.4%} (g ≥ i): the Gordon "
          f"terminal value TV = F_n(1+g)/(i−g) does not exist; lower g or drop the terminal period (art. 21)")
    return zh, en


def terminal_refusal(g: float, i: float) -> RefusedError:
    """The typed error raised when g ≥ i in the single-asset path."""
    zh, en = terminal_messages(g, i)
    return RefusedError(zh, en, field="income.terminal_growth", value=float(g),
                        allowed=f"g < i = {i:.6g}")


def discount(flows: np.ndarray, rate: np.ndarray, *, weights: np.ndarray | None = None,
             first_fraction: np.ndarray | None = None, mid: np.ndarray | None = None,
             terminal_growth: np.ndarray | None = None, terminal: np.ndarray | None = None,
             publication: np.ndarray | None = None, strict: bool = False,
             tau: np.ndarray | None = None, terms: tuple[np.ndarray, np.ndarray] | None = None,
             terminal_years: np.ndarray | None = None) -> DiscountResult:
    """Present value of per-period flows for every asset at once.

    Parameters
    ----------
    flows : (n, T) income F_t, NaN padded (NaN counts as no flow).
    rate : (n,) discount rate i.
    weights : (n, T) share of each period inside the economic life (default 1).
    first_fraction : (n,) length f of the first period in years (default 1).
    mid : (n,) bool, mid-period convention.
    terminal_growth : (n,) g of a Gordon terminal value after the last weighted period (NaN: none).
    terminal : (n,) bool, whether the terminal value applies (default: wherever g is given).
    publication : (n,) bool, publication rounding (rates 2 dp in %, factors 4 dp).
    strict : raise :class:`~valuation.core.errors.RefusedError` when g ≥ i (single appraisals);
        otherwise such rows get ``value = NaN`` and ``terminal_refused = True``.
    tau : (n, T) exponents ``exponents(T, first_fraction, mid)`` when the caller has them
        already (several calls on the same grid); computed here when None.
    terms : ``flow_terms(flows, weights)`` when the caller has them already (the same flows
        discounted at several rates); computed here when None.
    terminal_years : (n,) years L the tail may run after the last period (``inf``: perpetual,
        the Gordon value; default inf). A finite L makes the tail the growing annuity of L years,
        ``TV × [(1 − q^K) + r (1 − q) q^K]`` with ``q = (1+g)/(1+i)``, ``K = ⌊L⌋``, ``r = L − K``:
        no value beyond a finite term (CAS 2023 art. 21(7); :mod:`.term`).

    Returns
    -------
    DiscountResult

    Notes
    -----
    CAS 2023 art. 21, annex (income models); docs/DOMAIN.md §3.2.
    """
    F = np.asarray(flows, float)
    if F.ndim != 2:
        raise ValueError("flows must be 2-D (assets × periods)")
    n, T = F.shape
    i = np.broadcast_to(np.asarray(rate, float), (n,)).copy()
    w = np.ones_like(F) if weights is None else np.asarray(weights, float)
    f = np.ones(n) if first_fraction is None else np.asarray(first_fraction, float)
    m = np.zeros(n, bool) if mid is None else np.asarray(mid, bool)
    pub = np.zeros(n, bool) if publication is None else np.asarray(publication, bool)
    g = np.full(n, np.nan) if terminal_growth is None else np.asarray(terminal_growth, float).copy()
    if pub.any():
        i = np.where(pub, publication_rate(i), i)
        g = np.where(pub, publication_rate(g), g)
    tau = exponents(T, f, m) if tau is None else np.asarray(tau, float)
    v = factors(i, tau, pub)
    Fw, last = flow_terms(F, w) if terms is None else terms
    pv = row_sum(Fw * v)
    has_tv = ~np.isnan(g) if terminal is None else (np.asarray(terminal, bool) & ~np.isnan(g))
    refused = has_tv & ~(g < i)
    if strict and refused.any():
        k = int(np.flatnonzero(refused)[0])
        raise terminal_refusal(float(g[k]), float(i[k]))
    tv = np.zeros(n)
    # the last period with a positive weight and a flow carries the perpetuity (``last``)
    ok = has_tv & ~refused & (last >= 0)
    rows = np.flatnonzero(ok)
    if len(rows):
        lr = last[rows]
        Fn = F[rows, lr] * w[rows, lr]
        tv[rows] = Fn * (1 + g[rows]) / (i[rows] - g[rows]) * v[rows, lr]
        if terminal_years is not None:
            L = np.asarray(terminal_years, float)[rows]
            fin = np.isfinite(L)
            if fin.any():
                q = (1 + g[rows]) / (1 + i[rows])
                K = np.floor(np.where(fin, L, 0.0) + 1e-9)
                r = np.maximum(np.where(fin, L, 0.0) - K, 0.0)
                qK = q ** K
                tv[rows] = np.where(fin, tv[rows] * ((1 - qK) + r * (1 - q) * qK), tv[rows])
    value = np.where(refused, np.nan, pv + tv)
    return DiscountResult(value, pv, tv, v, tau, i, refused)

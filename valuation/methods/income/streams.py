"""Income attributable to the data asset, F_t, for the annex models (docs/DOMAIN.md §3.3–3.5).

==============  =====================================================  ====================
model           F_t                                                    clause
==============  =====================================================  ====================
direct          R_t (EBIT of the data asset)                           CAS2023.annex.income
split           R_t × K; K given, 约当投资 or 边际分析                  CAS2023.annex.income
excess          NOPAT_t − Σ_i CAC_it                                   LIT.excess
incremental     R_t − R'_t (with − without) or cost savings            CAS2023.annex.income
royalty         revenue_t × royalty × (1 − tax)                        LIT.royalty
==============  =====================================================  ====================

Contributory asset charges (LIT.excess): ``rate × value`` (return on an asset of known value)
or ``rate × revenue_t × revenue_share × (1 − tax_rate)`` (royalty-like charge on revenue).
Split rate K (docs/DOMAIN.md §3.5): equivalent investment
K = I_d(1 + p_d) / (I_d(1 + p_d) + I_o(1 + p_o)); marginal K = PV(incremental profit) / PV(total profit).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.portfolio import Portfolio
from .columns import Columns, columns, labels
from .kernel import fill_nan, per_row, rows_all

__all__ = [
    "MODELS",
    "STREAM_OF",
    "Streams",
    "contributory_charges",
    "income_basis",
    "income_basis_codes",
    "income_flows",
    "records_at",
    "split_rate",
]

MODELS = ("direct", "split", "excess", "incremental", "royalty")
# the stream each model cannot do without (for the not-applicable reason)
STREAM_OF = {"direct": "income.income", "split": "income.base", "excess": "income.nopat",
             "incremental": "income.with / income.without / income.savings", "royalty": "income.revenue"}


def col(a: pd.DataFrame | Columns, c: str) -> np.ndarray:
    """Numeric column as float, NaN for missing (read-only; all NaN when absent)."""
    return columns(a).num(c)


def txt(a: pd.DataFrame | Columns, c: str) -> np.ndarray:
    """Text column as a numpy object array of str with "" for missing (read-only)."""
    return columns(a).txt(c)


def stream(pf: Portfolio, path: str, T: int) -> np.ndarray:
    """(n, T) values of periods 1..T of a series (NaN where absent or beyond its width)."""
    s = pf.series.get(path)
    if s is None:
        return np.full((len(pf), T), np.nan)
    c = s.columns
    if isinstance(c, pd.RangeIndex) and c.start == 1 and c.step == 1:
        # periods 1..w in order (as the portfolio builds them): what the reindex below gives,
        # without its ~80 µs of pandas overhead
        v = s.to_numpy(dtype=float, na_value=np.nan)
        out = np.full((len(pf), T), np.nan)
        k = min(T, v.shape[1])
        out[:, :k] = v[:, :k]
        return out
    return s.reindex(columns=range(1, T + 1)).to_numpy(dtype=float, na_value=np.nan)


@dataclass
class Streams:
    F: np.ndarray            # (n, T) income attributable, before attrition
    K: np.ndarray            # (n,) split rate (NaN unless split)
    cac: np.ndarray          # (n, T) contributory asset charges (0 unless excess)
    missing: np.ndarray      # (n,) bool, the stream/parameter the model needs is missing
    missing_what: np.ndarray  # (n,) str, which input is missing


def split_rate(a: pd.DataFrame | Columns, pf: Portfolio, T: int,
               v: np.ndarray | Callable[[], np.ndarray]) -> np.ndarray:
    """K per asset: given, equivalent investment or marginal analysis.

    ``v`` is the (n, T) present-value factors of the marginal analysis, or a function giving
    them: it is called only when an asset uses the marginal method.
    """
    a = columns(a)
    K = col(a, "income_split_rate")
    equivalent = a.eq("income_split_method", "equivalent_investment")
    marginal = a.eq("income_split_method", "marginal")
    # each method's K is worked out only when some asset uses it (a given K is the usual case)
    k_eq = k_marg = np.full(len(K), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if equivalent.any():
            di, dr = col(a, "income_split_data_investment"), np.nan_to_num(col(a, "income_split_data_profit_rate"))
            oi, orr = col(a, "income_split_other_investment"), np.nan_to_num(col(a, "income_split_other_profit_rate"))
            k_eq = di * (1 + dr) / (di * (1 + dr) + oi * (1 + orr))
        if marginal.any():
            vv = v() if callable(v) else v
            inc_p = stream(pf, "income.split.incremental_profit", T)
            tot_p = stream(pf, "income.split.total_profit", T)
            num = np.nansum(inc_p * vv, axis=1)
            den = np.nansum(tot_p * vv, axis=1)
            k_marg = np.where(rows_all(np.isnan(tot_p)) | rows_all(np.isnan(inc_p)) | (den == 0),
                              np.nan, num / den)
    return np.where(equivalent, k_eq, np.where(marginal, k_marg, K))


def records_at(pf: Portfolio, key: str) -> tuple[Any, np.ndarray]:
    """The records ``key`` of the portfolio's own assets and each row's asset position, or
    ``(None, empty)`` when there are none."""
    rec = pf.records.get(key)
    if rec is None or not len(rec):
        return None, np.empty(0, np.intp)
    pos = pf.index.get_indexer(rec["asset_id"])
    keep = pos >= 0
    return rec[keep], pos[keep]


def contributory_charges(pf: Portfolio, revenue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(CAC (n, T), needs_revenue (n,)) summed over the records ``income.contributory``."""
    n, T = revenue.shape
    cac = np.zeros((n, T))
    needs_rev = np.zeros(n, bool)
    rec, pos = records_at(pf, "income.contributory")
    if rec is None:
        return cac, needs_rev
    r = rec["rate"].to_numpy(dtype=float, na_value=np.nan)
    val = rec["value"].to_numpy(dtype=float, na_value=np.nan)
    share = rec["revenue_share"].to_numpy(dtype=float, na_value=np.nan)
    tax = np.nan_to_num(rec["tax_rate"].to_numpy(dtype=float, na_value=np.nan))
    on_value = ~np.isnan(val)
    per = np.where(on_value[:, None], (r * np.nan_to_num(val))[:, None] * np.ones((1, T)),
                   (r * np.nan_to_num(share) * (1 - tax))[:, None] * np.nan_to_num(revenue[pos]))
    np.add.at(cac, pos, per)
    np.logical_or.at(needs_rev, pos, ~on_value)
    return cac, needs_rev


def income_basis(a: pd.DataFrame | Columns, model: np.ndarray) -> np.ndarray:
    """Basis of F_t (art. 21(6)): stated, else direct → pre_tax (EBIT), excess → post_tax
    (NOPAT), royalty → post_tax when a tax rate is applied, else pre_tax; others unknown ("")."""
    is_model = {m: np.asarray(model == m, dtype=bool) for m in ("direct", "excess", "royalty")}
    return labels(*income_basis_codes(a, is_model))


def income_basis_codes(a: pd.DataFrame | Columns, is_model: dict[str, np.ndarray]
                       ) -> tuple[tuple[str, ...], np.ndarray]:
    """:func:`income_basis` as (names, codes) (``labels`` of them is the basis), the model given
    as the masks ``is_model[m]`` of the models direct, excess and royalty: the stated basis'
    codes where stated, else the default's, with no Python str per row."""
    a = columns(a)
    names, stated = a.codes("income_income_basis")
    tax = fill_nan(col(a, "income_tax_rate"))
    default = np.select([is_model["direct"], is_model["excess"], is_model["royalty"] & (tax > 0),
                         is_model["royalty"]], [0, 1, 1, 0], 2)
    blank = np.array([x == "" for x in names], dtype=bool)
    return names + ("pre_tax", "post_tax", ""), np.where(blank[stated], len(names) + default, stated)


def _incremental(a: Columns, with_: np.ndarray, without: np.ndarray, savings: np.ndarray) -> np.ndarray:
    """R_t − R'_t, or the cost savings when the card says so (or gives only savings)."""
    saving = a.eq("income_incremental_kind", "cost_saving") | (rows_all(np.isnan(with_))
                                                                & ~rows_all(np.isnan(savings)))
    return np.where(saving[:, None], savings, with_ - without)


def income_flows(pf: Portfolio, T: int, v: np.ndarray | Callable[[], np.ndarray],
                 fill: dict[str, np.ndarray] | None = None, *, cols: Columns | None = None) -> Streams:
    """F (n × T) for every asset and model.

    Parameters
    ----------
    pf : portfolio.
    T : number of period columns.
    v : (n, T) present-value factors (for the marginal split rate), or a function giving them
        (called only when an asset uses the marginal split rate).
    fill : asset_id → projected revenue (from :mod:`.forecast`) for cards that give history:
        fills ``revenue`` (royalty, excess charges), ``base`` (split) and ``income`` =
        projection × ``income.history.margin`` (direct; missing margin → not applicable).
    cols : the assets table's columns already read by the caller (default: read here).
    """
    a = columns(pf.assets) if cols is None else cols
    n = len(pf)
    is_model = {m: a.eq("income_model", m) for m in MODELS}
    income = stream(pf, "income.income", T)
    base = stream(pf, "income.base", T)
    revenue = stream(pf, "income.revenue", T)
    nopat = stream(pf, "income.nopat", T)
    with_ = stream(pf, "income.with", T)
    without = stream(pf, "income.without", T)
    savings = stream(pf, "income.savings", T)
    margin = col(a, "income_history_margin")
    if fill:
        rows = pf.index.get_indexer(list(fill))
        proj = np.full((len(rows), T), np.nan)
        # one assignment per distinct projection (the copies of an asset share its array)
        same: dict[int, tuple[np.ndarray, list[int]]] = {}
        for j, vals in enumerate(fill.values()):
            same.setdefault(id(vals), (vals, []))[1].append(j)
        for vals, js in same.values():
            m = min(T, len(vals))
            proj[js, :m] = vals[:m]
        empty = lambda x: rows_all(np.isnan(x[rows]))[:, None]
        revenue[rows] = np.where(empty(revenue), proj, revenue[rows])
        base[rows] = np.where(empty(base), proj, base[rows])
        income[rows] = np.where(empty(income), proj * margin[rows][:, None], income[rows])
    tax = fill_nan(col(a, "income_tax_rate"))
    K = split_rate(a, pf, T, v)
    cac, needs_rev = contributory_charges(pf, revenue)
    royalty = col(a, "income_royalty_rate")
    incr = _incremental(a, with_, without, savings) if is_model["incremental"].any() else None
    # F of each model on its own rows (NaN for an unknown model), as np.select over the five
    # formulas would give, computing only the formulas of the models present
    # (the per-asset factors as whole (n, T) arrays: see kernel.per_row)
    formulas = {"direct": lambda: income, "split": lambda: base * per_row(K, T), "excess": lambda: nopat - cac,
                "incremental": lambda: incr,
                "royalty": lambda: revenue * per_row(royalty, T) * per_row(1 - tax, T)}
    F = np.full((n, T), np.nan)
    for m in MODELS:
        if is_model[m].all():      # one model on every row (the usual case): its formula is F,
            F = formulas[m]()      # without a masked copy in and out (a fresh array, or a
            break                  # stream read for this call: nothing else writes to it)
        if is_model[m].any():
            F[is_model[m]] = formulas[m]()[is_model[m]]
    found, what = _missing(pf, is_model, income, base, nopat, revenue, incr, K, margin, royalty, needs_rev)
    return Streams(F, K, cac, found, what)


def _missing(pf: Portfolio, is_model: dict[str, np.ndarray], income: np.ndarray, base: np.ndarray,
             nopat: np.ndarray, revenue: np.ndarray, incr: np.ndarray | None, K: np.ndarray, margin: np.ndarray,
             royalty: np.ndarray, needs_rev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows missing an input of their model, the input's name): the first check that applies wins."""
    n = len(pf)
    none = lambda x: rows_all(np.isnan(x))
    # (model, the missing input as a mask over all rows, its name); the first that applies wins
    checks = [
        ("direct", lambda: none(income) & ~none(stream(pf, "income.history.values", 1)) & np.isnan(margin),
         "income.history.margin"),
        ("direct", lambda: none(income), "income.income"),
        ("split", lambda: none(base), "income.base"),
        ("split", lambda: np.isnan(K), "income.split_rate"),
        ("excess", lambda: none(nopat), "income.nopat"),
        ("excess", lambda: needs_rev & none(revenue), "income.revenue"),
        ("incremental", lambda: none(incr), "income.with / income.without / income.savings"),
        ("royalty", lambda: none(revenue), "income.revenue"),
        ("royalty", lambda: np.isnan(royalty), "income.royalty_rate"),
    ]
    what = np.full(n, "", dtype=object)
    found = np.zeros(n, bool)
    for m, mask, name in checks:
        if is_model[m].any():
            hit = is_model[m] & mask() & ~found
            what[hit] = name
            found |= hit
    unknown = ~np.logical_or.reduce([is_model[m] for m in MODELS]) & ~found
    what[unknown] = "income.model"
    found |= unknown
    return found, what

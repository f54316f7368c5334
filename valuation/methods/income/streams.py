"""Income attributable to the data asset, F_t, for the annex models (DOMAIN.md §3.3–3.5).

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
Split rate K (DOMAIN.md §3.5): equivalent investment
K = I_d(1 + p_d) / (I_d(1 + p_d) + I_o(1 + p_o)); marginal K = PV(incremental profit) / PV(total profit).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core.portfolio import Portfolio

__all__ = [
    "MODELS",
    "STREAM_OF",
    "Streams",
    "contributory_charges",
    "income_basis",
    "income_flows",
    "split_rate",
]

MODELS = ("direct", "split", "excess", "incremental", "royalty")
# the stream each model cannot do without (for the not-applicable reason)
STREAM_OF = {"direct": "income.income", "split": "income.base", "excess": "income.nopat",
             "incremental": "income.with / income.without / income.savings", "royalty": "income.revenue"}


def col(a: pd.DataFrame, c: str) -> np.ndarray:
    if c not in a.columns:
        return np.full(len(a), np.nan)
    return a[c].to_numpy(dtype=float, na_value=np.nan)


def txt(a: pd.DataFrame, c: str) -> np.ndarray:
    """Text column as a numpy object array of str with "" for missing."""
    if c not in a.columns:
        return np.full(len(a), "", dtype=object)
    x = a[c]
    if isinstance(x.dtype, pd.StringDtype):  # already str or missing: no fillna/astype round trip
        v = x.to_numpy(dtype=object).copy()
        v[pd.isna(v)] = ""
        return v
    return x.fillna("").astype("str").to_numpy(dtype=object)


def stream(pf: Portfolio, path: str, T: int) -> np.ndarray:
    s = pf.series.get(path)
    if s is None:
        return np.full((len(pf), T), np.nan)
    return s.reindex(columns=range(1, T + 1)).to_numpy(dtype=float, na_value=np.nan)


@dataclass
class Streams:
    F: np.ndarray            # (n, T) income attributable, before attrition
    K: np.ndarray            # (n,) split rate (NaN unless split)
    cac: np.ndarray          # (n, T) contributory asset charges (0 unless excess)
    missing: np.ndarray      # (n,) bool, the stream/parameter the model needs is missing
    missing_what: np.ndarray  # (n,) str, which input is missing


def split_rate(a: pd.DataFrame, pf: Portfolio, T: int, v: np.ndarray) -> np.ndarray:
    """K per asset: given, equivalent investment or marginal analysis (v: (n, T) factors)."""
    K = col(a, "income_split_rate")
    sm = txt(a, "income_split_method")
    di, dr = col(a, "income_split_data_investment"), np.nan_to_num(col(a, "income_split_data_profit_rate"))
    oi, orr = col(a, "income_split_other_investment"), np.nan_to_num(col(a, "income_split_other_profit_rate"))
    with np.errstate(invalid="ignore", divide="ignore"):
        k_eq = di * (1 + dr) / (di * (1 + dr) + oi * (1 + orr))
        inc_p = stream(pf, "income.split.incremental_profit", T)
        tot_p = stream(pf, "income.split.total_profit", T)
        num = np.nansum(inc_p * v, axis=1)
        den = np.nansum(tot_p * v, axis=1)
        k_marg = np.where(np.isnan(tot_p).all(axis=1) | np.isnan(inc_p).all(axis=1) | (den == 0),
                          np.nan, num / den)
    return np.where(sm == "equivalent_investment", k_eq, np.where(sm == "marginal", k_marg, K))


def contributory_charges(pf: Portfolio, revenue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(CAC (n, T), needs_revenue (n,)) summed over the records ``income.contributory``."""
    n, T = revenue.shape
    cac = np.zeros((n, T))
    needs_rev = np.zeros(n, bool)
    rec = pf.records.get("income.contributory")
    if rec is None or not len(rec):
        return cac, needs_rev
    pos = pf.index.get_indexer(rec["asset_id"])
    keep = pos >= 0
    rec, pos = rec[keep], pos[keep]
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


def income_basis(a: pd.DataFrame, model: np.ndarray) -> np.ndarray:
    """Basis of F_t (art. 21(6)): stated, else direct → pre_tax (EBIT), excess → post_tax
    (NOPAT), royalty → post_tax when a tax rate is applied, else pre_tax; others unknown ("")."""
    ib = txt(a, "income_income_basis")
    tax = np.nan_to_num(col(a, "income_tax_rate"))
    default = np.select([model == "direct", model == "excess", (model == "royalty") & (tax > 0),
                         model == "royalty"], ["pre_tax", "post_tax", "post_tax", "pre_tax"], "")
    return np.where(ib == "", default, ib).astype(object)


def income_flows(pf: Portfolio, T: int, v: np.ndarray,
                 fill: dict[str, np.ndarray] | None = None) -> Streams:
    """F (n × T) for every asset and model.

    Parameters
    ----------
    pf : portfolio.
    T : number of period columns.
    v : (n, T) present-value factors (for the marginal split rate).
    fill : asset_id → projected revenue (from :mod:`.forecast`) for cards that give history:
        fills ``revenue`` (royalty, excess charges), ``base`` (split) and ``income`` =
        projection × ``income.history.margin`` (direct; missing margin → not applicable).
    """
    a = pf.assets
    n = len(pf)
    model = txt(a, "income_model")
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
        for j, vals in enumerate(fill.values()):
            m = min(T, len(vals))
            proj[j, :m] = vals[:m]
        empty = lambda x: np.isnan(x[rows]).all(axis=1)[:, None]
        revenue[rows] = np.where(empty(revenue), proj, revenue[rows])
        base[rows] = np.where(empty(base), proj, base[rows])
        income[rows] = np.where(empty(income), proj * margin[rows][:, None], income[rows])
    tax = np.nan_to_num(col(a, "income_tax_rate"))
    K = split_rate(a, pf, T, v)
    cac, needs_rev = contributory_charges(pf, revenue)
    royalty = col(a, "income_royalty_rate")
    kind = txt(a, "income_incremental_kind")
    saving = (kind == "cost_saving") | (np.isnan(with_).all(axis=1) & ~np.isnan(savings).all(axis=1))
    incr = np.where(saving[:, None], savings, with_ - without)
    F = np.select([(model == m)[:, None] for m in MODELS],
                  [income, base * K[:, None], nopat - cac, incr, revenue * royalty[:, None] * (1 - tax)[:, None]],
                  np.nan)
    none = lambda x: np.isnan(x).all(axis=1)
    checks = [
        ((model == "direct") & none(income) & ~none(stream(pf, "income.history.values", 1))
         & np.isnan(margin), "income.history.margin"),
        ((model == "direct") & none(income), "income.income"),
        ((model == "split") & none(base), "income.base"),
        ((model == "split") & np.isnan(K), "income.split_rate"),
        ((model == "excess") & none(nopat), "income.nopat"),
        ((model == "excess") & needs_rev & none(revenue), "income.revenue"),
        ((model == "incremental") & none(incr), "income.with / income.without / income.savings"),
        ((model == "royalty") & none(revenue), "income.revenue"),
        ((model == "royalty") & np.isnan(royalty), "income.royalty_rate"),
        (~np.isin(model, MODELS), "income.model"),
    ]
    what = np.full(n, "", dtype=object)
    for mask, name in checks:
        what = np.where((what == "") & mask, name, what)
    return Streams(F, K, cac, what != "", what)

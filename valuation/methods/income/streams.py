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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import typed
from .frame import labels
from .kernel import fill_nan, per_row, rows_all

__all__ = [
    "MODELS",
    "STREAM_OF",
    "Streams",
    "contributory_charges",
    "income_basis",
    "income_basis_codes",
    "income_flows",
    "split_rate",
]

MODELS = ("direct", "split", "excess", "incremental", "royalty")
# the stream each model cannot do without (for the not-applicable reason)
STREAM_OF = {"direct": "income.income", "split": "income.base", "excess": "income.nopat",
             "incremental": "income.with / income.without / income.savings", "royalty": "income.revenue"}


@dataclass
class Streams:
    F: np.ndarray            # (n, T) income attributable, before attrition
    K: np.ndarray            # (n,) split rate (NaN unless split)
    cac: np.ndarray          # (n, T) contributory asset charges (0 unless excess)
    missing: np.ndarray      # (n,) bool, the stream/parameter the model needs is missing
    missing_what: np.ndarray  # (n,) str, which input is missing
    # model → (n,) bool, the rows of that model (read once here; the refusals and the range
    # read them again)
    is_model: dict[str, np.ndarray] = field(default_factory=dict)


def split_rate(x: Any, T: int, v: np.ndarray | Callable[[], np.ndarray]) -> np.ndarray:
    """K per asset: given, equivalent investment or marginal analysis (``x``: the
    :class:`~.inputs.IncomeInputs`).

    ``v`` is the (n, T) present-value factors of the marginal analysis, or a function giving
    them: it is called only when an asset uses the marginal method.
    """
    t = x.t
    K = t["income_split_rate"]
    equivalent = typed.is_label(t, "income_split_method", "equivalent_investment")
    marginal = typed.is_label(t, "income_split_method", "marginal")
    # each method's K is worked out only when some asset uses it (a given K is the usual case)
    k_eq = k_marg = np.full(len(K), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if equivalent.any():
            di, dr = t["income_split_data_investment"], np.nan_to_num(t["income_split_data_profit_rate"])
            oi, orr = t["income_split_other_investment"], np.nan_to_num(t["income_split_other_profit_rate"])
            k_eq = di * (1 + dr) / (di * (1 + dr) + oi * (1 + orr))
        if marginal.any():
            vv = v() if callable(v) else v
            inc_p = x.stream("income.split.incremental_profit", T)
            tot_p = x.stream("income.split.total_profit", T)
            num = np.nansum(inc_p * vv, axis=1)
            den = np.nansum(tot_p * vv, axis=1)
            k_marg = np.where(rows_all(np.isnan(tot_p)) | rows_all(np.isnan(inc_p)) | (den == 0),
                              np.nan, num / den)
    return np.where(equivalent, k_eq, np.where(marginal, k_marg, K))


def contributory_charges(rec: Any, revenue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(CAC (n, T), needs_revenue (n,)) summed over the records ``income.contributory``
    (``rec``: their :class:`~valuation.core.ragged.Ragged`, or None)."""
    n, T = revenue.shape
    cac = np.zeros((n, T))
    needs_rev = np.zeros(n, bool)
    if rec is None:
        return cac, needs_rev
    pos = rec.owner
    r, val, share = rec["rate"], rec["value"], rec["revenue_share"]
    on_value = ~np.isnan(val)
    # (fill_nan: np.nan_to_num's values at about half its cost; the charge on revenue is worked
    # out only when some record is one — the charge on a value is the usual case)
    per = (r * fill_nan(val))[:, None] * np.ones((1, T))
    if not on_value.all():
        tax = fill_nan(rec["tax_rate"])
        per = np.where(on_value[:, None], per, (r * fill_nan(share) * (1 - tax))[:, None] * fill_nan(revenue[pos]))
    np.add.at(cac, pos, per)
    np.logical_or.at(needs_rev, pos, ~on_value)
    return cac, needs_rev


def income_basis(t: Any, model: np.ndarray) -> np.ndarray:
    """Basis of F_t (art. 21(6)): stated, else direct → pre_tax (EBIT), excess → post_tax
    (NOPAT), royalty → post_tax when a tax rate is applied, else pre_tax; others unknown ("")."""
    is_model = {m: np.asarray(model == m, dtype=bool) for m in ("direct", "excess", "royalty")}
    return labels(*income_basis_codes(t, is_model))


def income_basis_codes(t: Any, is_model: dict[str, np.ndarray]) -> tuple[tuple[str, ...], np.ndarray]:
    """:func:`income_basis` as (names, codes) (``labels`` of them is the basis), the model given
    as the masks ``is_model[m]`` of the models direct, excess and royalty: the stated basis'
    codes where stated, else the default's, with no Python str per row."""
    names, stated = typed.coded(t, "income_income_basis")
    tax = fill_nan(t["income_tax_rate"])
    default = np.select([is_model["direct"], is_model["excess"], is_model["royalty"] & (tax > 0),
                         is_model["royalty"]], [0, 1, 1, 0], 2)
    blank = np.array([x == "" for x in names], dtype=bool)
    return names + ("pre_tax", "post_tax", ""), np.where(blank[stated], len(names) + default, stated)


def _incremental(t: Any, with_: np.ndarray, without: np.ndarray, savings: np.ndarray) -> np.ndarray:
    """R_t − R'_t, or the cost savings when the card says so (or gives only savings)."""
    saving = typed.is_label(t, "income_incremental_kind", "cost_saving") | (rows_all(np.isnan(with_))
                                                                & ~rows_all(np.isnan(savings)))
    return np.where(saving[:, None], savings, with_ - without)


def income_flows(x: Any, T: int, v: np.ndarray | Callable[[], np.ndarray],
                 fill: dict[str, np.ndarray] | None = None) -> Streams:
    """F (n × T) for every asset and model.

    Parameters
    ----------
    x : the :class:`~.inputs.IncomeInputs` (asset table, streams, records).
    T : number of period columns.
    v : (n, T) present-value factors (for the marginal split rate), or a function giving them
        (called only when an asset uses the marginal split rate).
    fill : asset_id → projected revenue (from :mod:`.forecast`) for cards that give history:
        fills ``revenue`` (royalty, excess charges), ``base`` (split) and ``income`` =
        projection × ``income.history.margin`` (direct; missing margin → not applicable).
    """
    t, n = x.t, len(x)
    is_model = {m: typed.is_label(t, "income_model", m) for m in MODELS}
    income = x.stream("income.income", T)
    base = x.stream("income.base", T)
    revenue = x.stream("income.revenue", T)
    nopat = x.stream("income.nopat", T)
    with_ = x.stream("income.with", T)
    without = x.stream("income.without", T)
    savings = x.stream("income.savings", T)
    margin = t["income_history_margin"]
    if fill:
        rows = x.rows_of(fill)
        proj = np.full((len(rows), T), np.nan)
        # one assignment per distinct projection (the copies of an asset share its array)
        same: dict[int, tuple[np.ndarray, list[int]]] = {}
        for j, vals in enumerate(fill.values()):
            same.setdefault(id(vals), (vals, []))[1].append(j)
        for vals, js in same.values():
            m = min(T, len(vals))
            proj[js, :m] = vals[:m]
        empty = lambda y: rows_all(np.isnan(y[rows]))[:, None]  # noqa: E731
        revenue[rows] = np.where(empty(revenue), proj, revenue[rows])
        base[rows] = np.where(empty(base), proj, base[rows])
        income[rows] = np.where(empty(income), proj * margin[rows][:, None], income[rows])
    tax = fill_nan(t["income_tax_rate"])
    K = split_rate(x, T, v)
    cac, needs_rev = contributory_charges(x.contributory, revenue)
    royalty = t["income_royalty_rate"]
    incr = _incremental(t, with_, without, savings) if is_model["incremental"].any() else None
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
    found, what = _missing(x, is_model, income, base, nopat, revenue, incr, K, margin, royalty, needs_rev)
    return Streams(F, K, cac, found, what, is_model)


def _missing(x: Any, is_model: dict[str, np.ndarray], income: np.ndarray, base: np.ndarray,
             nopat: np.ndarray, revenue: np.ndarray, incr: np.ndarray | None, K: np.ndarray, margin: np.ndarray,
             royalty: np.ndarray, needs_rev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows missing an input of their model, the input's name): the first check that applies wins."""
    n = len(x)
    none = lambda y: rows_all(np.isnan(y))  # noqa: E731
    # (model, the missing input as a mask over all rows, its name); the first that applies wins
    checks = [
        ("direct", lambda: none(income) & ~none(x.stream("income.history.values", 1)) & np.isnan(margin),
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

"""Small, real (pure, vectorised) stand-in approaches for the pricing tests.

They follow the method contract (``appraise(pf, params=None, *, trace=False) -> MethodResult``)
with deliberately simple formulas, so the pricing layer can be tested independently of the
real approaches:

* cost:   P = C × δ,   C = Σ components, δ = ``cost_adjustment_value`` (default 1);
          band ± z·10 % of P.
* income: relief from royalty, F_t = R_t × k × (1 − tax), end-year discounting at i, Gordon
          terminal value F_T (1 + g) / (i − g) when g is given; band from i ± 1.5 pp.
* market: mean of Q_j × ΠX_j over the comparables; band = min / max adjusted price.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from valuation.core.portfolio import Portfolio
from valuation.methods.base import MethodResult

Z80 = 1.2815515655446004


def empty_frame(index: pd.Index) -> pd.DataFrame:
    """A result frame where every asset is 'not applicable' until a stand-in fills it."""
    n = len(index)
    return pd.DataFrame({
        "estimate": np.full(n, np.nan), "low": np.full(n, np.nan), "high": np.full(n, np.nan),
        "applicable": np.zeros(n, dtype=bool),
        "reason_zh": np.array([""] * n, dtype=object), "reason_en": np.array([""] * n, dtype=object),
    }, index=index)


def not_applicable(frame: pd.DataFrame, mask, reason_zh: str, reason_en: str) -> None:
    """Mark rows as not applicable with a reason (first reason wins), in place."""
    m = np.asarray(mask, dtype=bool) & (frame["reason_zh"].to_numpy() == "")
    frame.loc[m, "applicable"] = False
    frame.loc[m, "estimate"] = np.nan
    frame.loc[m, "low"] = np.nan
    frame.loc[m, "high"] = np.nan
    frame.loc[m, "reason_zh"] = reason_zh
    frame.loc[m, "reason_en"] = reason_en


def _col(pf: Portfolio, c: str, default: float = np.nan) -> np.ndarray:
    # the portfolio's numbers (its typed table; a frame's own column otherwise), as the
    # approaches read them: the Monte Carlo's perturbed rows are a portfolio too
    x = pf.number(c)
    return np.where(np.isnan(x), default, x)


def _flag(pf: Portfolio, c: str) -> np.ndarray:
    return np.asarray(pf.columns[c], dtype=bool)


def cost_appraise(pf: Portfolio, params=None, *, trace: bool = False) -> MethodResult:
    fr = empty_frame(pf.index)
    C = sum(_col(pf, f"cost_{k}", 0.0) for k in ("preliminary", "direct", "indirect", "opportunity", "taxes"))
    d = _col(pf, "cost_adjustment_value", 1.0)
    est = C * d
    fr["estimate"] = est
    fr["low"] = est * (1 - Z80 * 0.10)
    fr["high"] = est * (1 + Z80 * 0.10)
    fr["applicable"] = True
    not_applicable(fr, ~(C > 0) | ~_flag(pf, "has_cost"), "无成本数据", "no cost data")
    return MethodResult("cost", fr, {}, {"coverage": 0.8})


def income_value(pf: Portfolio, rate: np.ndarray | None = None) -> np.ndarray:
    R = pf.stream("income.revenue").to_numpy(float)
    k = _col(pf, "income_royalty_rate")
    tax = _col(pf, "income_tax_rate", 0.0)
    i = _col(pf, "income_discount_rate") if rate is None else rate
    g = _col(pf, "income_terminal_growth")
    T = R.shape[1]
    F = R * (k * (1 - tax))[:, None]
    t = np.arange(1, T + 1)[None, :]
    pv = np.nansum(F / (1 + i[:, None]) ** t, axis=1)
    n_valid = (~np.isnan(F)).sum(axis=1)            # streams are NaN-padded at the end
    last = F[np.arange(len(pf)), np.maximum(n_valid - 1, 0)] if T else np.full(len(pf), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        tv = np.where(np.isnan(g), 0.0, last * (1 + g) / (i - g) / (1 + i) ** n_valid)
    return pv + np.nan_to_num(tv)


def income_appraise(pf: Portfolio, params=None, *, trace: bool = False) -> MethodResult:
    fr = empty_frame(pf.index)
    i = _col(pf, "income_discount_rate")
    est = income_value(pf)
    fr["estimate"] = est
    fr["low"] = income_value(pf, i + 0.015)
    fr["high"] = income_value(pf, np.maximum(i - 0.015, 1e-4))
    fr["applicable"] = True
    g = _col(pf, "income_terminal_growth")
    not_applicable(fr, ~_flag(pf, "has_income") | np.isnan(i) | np.isnan(est),
                   "无收益法数据", "no income data")
    not_applicable(fr, ~np.isnan(g) & (g >= i), "g ≥ i", "g ≥ i")
    return MethodResult("income", fr, {}, {"coverage": 0.8})


def market_appraise(pf: Portfolio, params=None, *, trace: bool = False, cases=None) -> MethodResult:
    fr = empty_frame(pf.index)
    c = pf.record("market.comparables")
    if len(c):
        X = np.ones(len(c))
        for x in ("x1", "x2", "x3", "x4", "x5"):
            if x in c.columns:
                X = X * np.nan_to_num(c[x].to_numpy(dtype=float, na_value=np.nan), nan=1.0)
        adj = pd.DataFrame({"asset_id": c["asset_id"].astype(str).to_numpy(),
                            "p": c["price"].to_numpy(float) * X})
        g = adj.groupby("asset_id")["p"].agg(["mean", "min", "max", "count"]).reindex(pf.index.astype(str))
        fr["estimate"] = g["mean"].to_numpy()
        fr["low"] = g["min"].to_numpy()
        fr["high"] = g["max"].to_numpy()
        fr["applicable"] = True
        cnt = g["count"].fillna(0).to_numpy()
    else:
        cnt = np.zeros(len(pf))
    not_applicable(fr, cnt < 2, "可比案例不足", "fewer than 2 comparables")
    return MethodResult("market", fr, {}, {"coverage": 0.8})


STANDINS = {"cost": cost_appraise, "income": income_appraise, "market": market_appraise}


def card(aid: str = "A1", *, purpose: str = "other", value_type: str = "market", cost: float | None = 1000.0,
         delta: float = 0.8, revenue: list[float] | None = None, royalty: float = 0.05, rate: float = 0.12,
         growth: float | None = None, comparables: list[tuple[float, float]] | None = None,
         weights: dict[str, float] | None = None, reason: str | None = None, seed: int | None = None,
         coverage: float | None = None) -> dict:
    """A valid interchange card with the sections the stand-ins read."""
    c: dict = {"asset": {"asset_id": aid, "name": f"测试资产 {aid}"},
               "engagement": {"valuation_date": "2025-12-31", "purpose": purpose, "value_type": value_type}}
    if weights is not None:
        c["engagement"]["weights"] = weights
    if reason is not None:
        c["engagement"]["weights_reason"] = reason
    if seed is not None:
        c["engagement"]["seed"] = seed
    if coverage is not None:
        c["engagement"]["coverage"] = coverage
    if cost is not None:
        c["cost"] = {"components": {"direct": cost}, "adjustment": {"basis": "given", "value": delta}}
    if revenue is not None:
        inc = {"model": "royalty", "periods": len(revenue), "revenue": revenue, "royalty_rate": royalty,
               "tax_rate": 0.25, "discount_rate": rate}
        if growth is not None:
            inc["terminal_growth"] = growth
        c["income"] = inc
    if comparables is not None:
        c["market"] = {"comparables": [{"case_id": f"C{j}", "price": p, "x1": x} for j, (p, x) in
                                       enumerate(comparables)]}
    return c


def slim_portfolio(n: int, *, rate: float = 0.12, royalty: float = 0.05, periods: int = 5,
                   revenue: float = 1000.0, seed: int = 20231001) -> Portfolio:
    """A portfolio of n income assets with only the columns the income stand-in and the
    Monte Carlo read (large-n experiments without 150 schema columns)."""
    ids = pd.Index([f"S{i:05d}" for i in range(n)], name="asset_id")
    a = pd.DataFrame({"income_discount_rate": np.full(n, rate), "income_royalty_rate": np.full(n, royalty),
                      "income_tax_rate": np.full(n, 0.25), "income_terminal_growth": np.full(n, np.nan),
                      "has_income": np.ones(n, bool), "has_cost": np.zeros(n, bool),
                      "has_market": np.zeros(n, bool), "seed": np.full(n, float(seed)),
                      "coverage": np.full(n, 0.8)}, index=ids)
    rev = pd.DataFrame(np.tile(revenue * 1.05 ** np.arange(periods), (n, 1)), index=ids,
                       columns=range(1, periods + 1))
    return Portfolio(a, {"income.revenue": rev}, {}, {})

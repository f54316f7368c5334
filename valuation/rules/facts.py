"""Declared facts that rules may read, and the vectorised builder of the facts table.

Each fact has a type (number, bool, category) and a Chinese and English description. The
table is built for all assets at once from the portfolio and the appraisal results; a fact an
approach has not produced is NaN, so rules work before every approach is present.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Mapping

import numpy as np
import pandas as pd

__all__ = ["FACTS", "fact_types", "build_facts"]

# name: (type, zh, en)
FACTS: dict[str, tuple[str, str, str]] = {
    "estimate": ("number", "评估结论（点估计）", "reconciled estimate"),
    "low": ("number", "指导价区间下限", "low end of the guided range"),
    "high": ("number", "指导价区间上限", "high end of the guided range"),
    "book_value": ("number", "账面价值", "book value"),
    "premium_ratio": ("number", "增值率 =（评估值 − 账面价值）/ 账面价值", "appreciation ratio (estimate − book) / book"),
    "impairment_ratio": ("number", "减值率 =（账面价值 − 评估值）/ 账面价值", "impairment ratio (book − estimate) / book"),
    "n_impairment_indicators": ("number", "减值迹象个数", "number of impairment indicators"),
    "previous_value": ("number", "上次评估值", "previous value"),
    "change_since_previous": ("number", "较上次评估的变动率", "change since the previous valuation"),
    "method_spread": ("number", "各方法结果的离散度 = 最大/最小 − 1", "spread of method results, max/min − 1"),
    "n_methods": ("number", "适用的评估方法个数", "number of applicable approaches"),
    "market_used": ("bool", "是否使用市场法", "market approach used"),
    "n_comparables": ("number", "可比案例个数", "number of comparables"),
    "comparable_spread": ("number", "可比案例调整后价格的最大/最小", "max/min of adjusted comparable prices"),
    "x1_max": ("number", "市场法质量调整系数 X1 最大值", "largest quality coefficient X1"),
    "discount_rate": ("number", "折现率", "discount rate"),
    "growth": ("number", "预测期最高增长率", "highest forecast growth rate"),
    "terminal_growth": ("number", "永续增长率", "terminal growth rate"),
    "split_rate": ("number", "分成率", "split rate"),
    "royalty_rate": ("number", "许可费率", "royalty rate"),
    "life": ("number", "采用的收益期（年）", "economic life used (years)"),
    "life_requested": ("number", "卡片申报的收益期（年）", "income period on the card (years)"),
    "rights_years_remaining": ("number", "剩余权利期限（年）", "remaining rights term (years)"),
    "life_vs_rights": ("number", "申报收益期 − 剩余权利期限（年）", "income period on the card − remaining rights term"),
    "terminal_beyond_rights": ("bool", "永续期超出有限权利期限", "terminal value beyond a finite rights term"),
    "delta": ("number", "成本法价值调整系数 δ", "cost approach coefficient δ"),
    "delta_override": ("bool", "δ>1 已声明覆盖", "δ > 1 override declared"),
    "quality_score": ("number", "数据质量综合得分", "composite quality score"),
    "use_category": ("category", "使用类别", "use category"),
    "holder_type": ("category", "主体类型", "holder type"),
    "purpose": ("category", "评估目的", "purpose"),
    "public_data": ("bool", "是否公共数据", "public data"),
    "pledged": ("bool", "是否已质押/担保", "pledged or guaranteed"),
    "fiscal_revenue": ("bool", "授权收入计入财政收入", "licence income booked as fiscal revenue"),
    "proposed_price": ("number", "拟交易/收费价格", "proposed price"),
    "proposed_price_ratio": ("number", "拟交易价格 / 评估结论", "proposed price / estimate"),
    "declared_value": ("number", "申报/入账价值", "declared value"),
    "declared_ratio": ("number", "申报价值 / 评估结论", "declared value / estimate"),
    "days_since_valuation": ("number", "距评估基准日天数", "days since the valuation date"),
    "cap": ("number", "上限收费标准", "price cap"),
    "cap_ratio": ("number", "实际价格 / 上限", "price / cap"),
    "mar_ratio": ("number", "Σ上限×销量 / 最高准许收入", "Σ cap × volume / maximum allowed revenue"),
}


def fact_types() -> dict[str, str]:
    return {k: v[0] for k, v in FACTS.items()}


def _num(df: pd.DataFrame | None, col: str, n: int) -> np.ndarray:
    if df is None or col not in df.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(float)


def _txt(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), "", dtype=object)
    return df[col].fillna("").astype("str").to_numpy(dtype=object)


def build_facts(assets: pd.DataFrame, results: pd.DataFrame, *,
                methods: Mapping[str, pd.DataFrame] | None = None,
                as_of: _dt.date | None = None) -> pd.DataFrame:
    """Facts for every asset (index aligned with ``assets``).

    ``results`` holds the reconciled columns (estimate, low, high); ``methods`` maps an
    approach name to its result frame (estimate, applicable and its own columns).
    """
    n = len(assets)
    idx = assets.index
    res = results.reindex(idx)
    methods = {k: v.reindex(idx) for k, v in (methods or {}).items()}
    est = _num(res, "estimate", n)
    book = _num(assets, "book_value", n)
    prev = _num(assets, "previous_value", n)
    with np.errstate(divide="ignore", invalid="ignore"):
        prem = np.where(book > 0, (est - book) / book, np.nan)
        chg = np.where(prev > 0, (est - prev) / prev, np.nan)
    ests = []
    for m in ("cost", "income", "market"):
        fr = methods.get(m)
        if fr is not None:
            ok = fr["applicable"].fillna(False).to_numpy(bool)
            ests.append(np.where(ok, _num(fr, "estimate", n), np.nan))
    if ests:
        E = np.column_stack(ests)
        E = np.where(E > 0, E, np.nan)
        cnt = (~np.isnan(E)).sum(axis=1)
        with np.errstate(all="ignore"):
            mx = np.where(cnt > 0, np.nanmax(np.where(np.isnan(E), -np.inf, E), axis=1), np.nan)
            mn = np.where(cnt > 0, np.nanmin(np.where(np.isnan(E), np.inf, E), axis=1), np.nan)
        spread = np.where(cnt >= 2, mx / mn - 1, np.nan)
    else:
        cnt, spread = np.zeros(n), np.full(n, np.nan)
    inc = methods.get("income")
    mkt = methods.get("market")
    cst = methods.get("cost")
    life_req = _num(inc, "life_requested", n)
    rights = _num(inc, "rights_years_remaining", n)
    inc_ok = inc["applicable"].fillna(False).to_numpy(bool) if inc is not None else np.zeros(n, bool)
    mkt_ok = mkt["applicable"].fillna(False).to_numpy(bool) if mkt is not None else np.zeros(n, bool)
    vd = pd.to_datetime(assets["valuation_date"]).to_numpy()
    today = np.datetime64(as_of or _dt.date.today(), "D")
    days = (today - vd.astype("datetime64[D]")).astype(float)
    proposed = _num(assets, "proposed_price", n)
    declared = _num(assets, "declared_value", n)
    ind = assets["impairment_indicators"].fillna("").astype("str") if "impairment_indicators" in assets \
        else pd.Series([""] * n)
    n_ind = ind.str.split("; ").apply(lambda xs: len([x for x in xs if x])).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        facts = {
            "estimate": est, "low": _num(res, "low", n), "high": _num(res, "high", n),
            "book_value": book, "premium_ratio": prem, "impairment_ratio": -prem,
            "n_impairment_indicators": n_ind, "previous_value": prev, "change_since_previous": chg,
            "method_spread": spread, "n_methods": cnt.astype(float),
            "market_used": mkt_ok, "n_comparables": np.where(mkt_ok | ~np.isnan(_num(mkt, "n_comparables", n)),
                                                               _num(mkt, "n_comparables", n), np.nan),
            "comparable_spread": _num(mkt, "spread", n), "x1_max": _num(mkt, "x1_max", n),
            "discount_rate": np.where(inc_ok, _num(inc, "discount_rate", n), np.nan),
            "growth": np.where(inc_ok, _num(inc, "growth_max", n), np.nan),
            "terminal_growth": np.where(inc_ok, _num(assets, "income_terminal_growth", n), np.nan),
            "split_rate": np.where(inc_ok, _num(inc, "split_rate", n), np.nan),
            "royalty_rate": np.where(inc_ok, _num(assets, "income_royalty_rate", n), np.nan),
            "life": np.where(inc_ok, _num(inc, "life", n), np.nan),
            "life_requested": life_req, "rights_years_remaining": rights,
            "life_vs_rights": np.where(assets["rights_renewal_documented"].to_numpy(bool), np.nan, life_req - rights),
            "terminal_beyond_rights": (inc["terminal_beyond_rights"].fillna(False).to_numpy(bool) & inc_ok)
            if inc is not None and "terminal_beyond_rights" in inc else np.zeros(n, bool),
            "delta": _num(cst, "delta", n),
            "delta_override": assets["cost_adjustment_override"].to_numpy(bool),
            "quality_score": _num(cst, "quality_score", n),
            "use_category": _txt(assets, "use_category"), "holder_type": _txt(assets, "holder_type"),
            "purpose": _txt(assets, "purpose"),
            "public_data": assets["public_data"].to_numpy(bool), "pledged": assets["pledged"].to_numpy(bool),
            "fiscal_revenue": assets["fiscal_revenue"].to_numpy(bool),
            "proposed_price": proposed, "proposed_price_ratio": np.where(est > 0, proposed / est, np.nan),
            "declared_value": declared, "declared_ratio": np.where(est > 0, declared / est, np.nan),
            "days_since_valuation": days,
            "cap": _num(res, "cap", n), "cap_ratio": _num(res, "cap_ratio", n), "mar_ratio": _num(res, "mar_ratio", n),
        }
    return pd.DataFrame(facts, index=idx)

"""Array kernels of the cost approach (CAS 2023 art. 22 and annex; docs/DOMAIN.md §2): the
replacement cost C from component totals and cost lines, and the value adjustment
coefficient δ. Pure numpy/pandas over all assets at once; no loop over assets.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import Issue, ValidationError
from ..base import nan_to_num

__all__ = [
    "COMPONENTS",
    "COMPONENT_LABELS",
    "component_arrays",
    "component_totals",
    "delta_expert",
    "delta_life",
    "delta_quality",
    "line_amounts",
    "literature_value",
    "opportunity_cost",
    "replacement_cost_value",
    "select_delta",
]

COMPONENTS = ("preliminary", "direct", "indirect", "opportunity", "taxes")
COMPONENT_LABELS = {"preliminary": ("前期费用", "preliminary cost"), "direct": ("直接成本", "direct cost"),
                    "indirect": ("间接成本", "indirect cost"), "opportunity": ("机会成本", "opportunity cost"),
                    "taxes": ("相关税费", "related taxes")}


def _negative_issues(values: np.ndarray, fields: list[str], ids: list[Any]) -> list[Issue]:
    out = []
    for i in np.flatnonzero(values < 0)[:20]:
        out.append(Issue(fields[i], float(values[i]), ">= 0",
                         f"{fields[i]} = {values[i]:g} 为负数：成本金额不能为负（资产 {ids[i]}）",
                         f"{fields[i]} = {values[i]:g} is negative: cost amounts must be >= 0 (asset {ids[i]})",
                         asset_id=None if ids[i] is None else str(ids[i])))
    return out


def line_amounts(lines: pd.DataFrame, index_at_valuation: pd.Series) -> pd.DataFrame:
    """Cost lines indexed to the valuation date, summed per asset and category.

    amount_k' = amount_k × allocation_share_k × (I_valuation / I_incurred,k)
    (share default 1; no index when incurred → factor 1). Returns (assets × categories).
    """
    n = len(lines)
    amt = pd.to_numeric(lines["amount"], errors="coerce").to_numpy(float)
    aid = lines["asset_id"].astype("str").to_numpy(dtype=object)
    pos = pd.Series(aid).groupby(pd.Series(aid)).cumcount().to_numpy() if n else np.zeros(0, int)
    issues = _negative_issues(amt, [f"cost.lines[{p}].amount" for p in pos], list(aid))
    share = pd.to_numeric(lines.get("allocation_share"), errors="coerce").to_numpy(float) \
        if "allocation_share" in lines else np.ones(n)
    bad_share = (share <= 0) | (share > 1)
    for i in np.flatnonzero(bad_share)[:20]:
        issues.append(Issue(f"cost.lines[{pos[i]}].allocation_share", float(share[i]), "0 < share <= 1",
                            f"cost.lines[{pos[i]}].allocation_share = {share[i]:g} 不在 (0, 1]（资产 {aid[i]}）",
                            f"cost.lines[{pos[i]}].allocation_share = {share[i]:g} is outside (0, 1] (asset {aid[i]})",
                            asset_id=str(aid[i])))
    if issues:
        raise ValidationError(issues)
    share = np.where(np.isnan(share), 1.0, share)
    ii = pd.to_numeric(lines.get("price_index"), errors="coerce").to_numpy(float) \
        if "price_index" in lines else np.full(n, np.nan)
    iv = index_at_valuation.reindex(aid).to_numpy(float)
    factor = np.where(np.isnan(ii) | np.isnan(iv), 1.0, iv / ii)
    df = pd.DataFrame({"asset_id": aid, "category": lines["category"].astype("str").to_numpy(dtype=object),
                       "amount": amt * share * factor})
    return df.groupby(["asset_id", "category"], sort=False)["amount"].sum().unstack()


def component_totals(components: pd.DataFrame, lines: pd.DataFrame | None,
                     index_at_valuation: pd.Series) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Components (assets × five categories) = given totals + indexed cost lines.

    A category given both as a total and as lines is the sum of both (the total is read as an
    un-itemised amount); the second return value flags those assets (double-counting risk).
    The third flags assets with at least one cost line.
    """
    comp = components.reindex(columns=list(COMPONENTS)).astype(float)
    ids = [str(x) for x in comp.index]
    vals = comp.to_numpy(float)
    issues = _negative_issues(vals.reshape(-1), [f"cost.components.{c}" for _ in ids for c in COMPONENTS],
                              [a for a in ids for _ in COMPONENTS])
    if issues:
        raise ValidationError(issues)
    both = np.zeros(len(comp), dtype=bool)
    has_lines = np.zeros(len(comp), dtype=bool)
    if lines is not None and len(lines):
        by = line_amounts(lines, index_at_valuation).reindex(index=comp.index, columns=list(COMPONENTS))
        both = (comp.notna() & by.notna()).any(axis=1).to_numpy()
        has_lines = by.notna().any(axis=1).to_numpy()
        comp = comp.fillna(0.0).add(by.fillna(0.0)).where(comp.notna() | by.notna())
    return comp, both, has_lines


def component_arrays(components: np.ndarray, index: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`component_totals` of assets without cost lines, over the (assets × five
    categories) array of given totals: the totals (negative ones refused with the same
    issues), and no double counting or lines."""
    vals = np.asarray(components, dtype=float)
    if (vals < 0).any():
        ids = [str(x) for x in index]
        raise ValidationError(_negative_issues(vals.reshape(-1), [f"cost.components.{c}" for _ in ids for c in COMPONENTS],
                                               [a for a in ids for _ in COMPONENTS]))
    n = len(vals)
    return vals, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)


def opportunity_cost(preliminary: np.ndarray, direct: np.ndarray, indirect: np.ndarray,
                     given: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """OC = given, else r × (前期费用 + 直接成本 + 间接成本) (F1: 5 % × 250 = 12.5)."""
    base = nan_to_num(preliminary) + nan_to_num(direct) + nan_to_num(indirect)
    return np.where(np.isnan(given), base * nan_to_num(rate), given)


def replacement_cost_value(preliminary, direct, indirect, opportunity, taxes, profit_rate) -> np.ndarray:
    """C = (前期费用 + 直接成本 + 间接成本 + 机会成本) × (1 + profit_rate) + 相关税费.

    Convention: a reasonable profit (default 0) is earned on the pre-tax cost including the
    opportunity cost; non-recoverable taxes are added after it (no profit on taxes)."""
    pre_tax = (nan_to_num(preliminary) + nan_to_num(direct) + nan_to_num(indirect)
               + nan_to_num(opportunity))
    return pre_tax * (1.0 + nan_to_num(profit_rate)) + nan_to_num(taxes)


def delta_quality(q: Any, benchmark: Any = 100.0) -> np.ndarray:
    """δ_q = Q / Q_benchmark (Q in 0–100; benchmark default 100)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(q, float) / np.asarray(benchmark, float)


def delta_life(years_used: Any, years_remaining: Any) -> np.ndarray:
    """δ_life = n_r / (n_u + n_r) (剩余经济寿命法); NaN when n_u + n_r = 0."""
    nu, nr = np.asarray(years_used, float), np.asarray(years_remaining, float)
    tot = nu + nr
    return np.divide(nr, tot, out=np.full(np.broadcast(nu, nr).shape, np.nan), where=tot > 0)


def delta_expert(functional: Any, economic: Any) -> np.ndarray:
    """δ = 1 − (d_func + d_econ) (专家评价法); a missing rate counts as 0, both missing → NaN."""
    f, e = np.asarray(functional, float), np.asarray(economic, float)
    return np.where(np.isnan(f) & np.isnan(e), np.nan, 1.0 - (nan_to_num(f) + nan_to_num(e)))


def select_delta(basis: np.ndarray, d_q: np.ndarray, d_life: np.ndarray, d_exp: np.ndarray,
                 d_given: np.ndarray) -> np.ndarray:
    """δ by basis: quality → δ_q; life → δ_life; combined → δ_q × δ_life; expert; given."""
    return np.select([basis == "quality", basis == "life", basis == "combined", basis == "expert",
                      basis == "given"], [d_q, d_life, d_q * d_life, d_exp, d_given], np.nan)


def literature_value(tc, r, alpha, beta, scarcity, risk) -> tuple[np.ndarray, np.ndarray]:
    """Literature model (NOT the CAS model): U = α β (1 + l)(1 − r); P = TC × (1 + R) × U."""
    u = np.asarray(alpha, float) * np.asarray(beta, float) * (1 + np.asarray(scarcity, float)) \
        * (1 - np.asarray(risk, float))
    return np.asarray(tc, float) * (1 + np.asarray(r, float)) * u, u

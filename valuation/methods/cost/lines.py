"""The cost lines and component totals of a portfolio, read and indexed to the valuation date
(CAS 2023 art. 16, 22; docs/DOMAIN.md §2.2): the pandas edge of the cost approach. Negative
amounts and allocation shares outside (0, 1] are refused with the field, value and asset.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import Issue, ValidationError
from .kernel import COMPONENTS

__all__ = ["component_arrays", "component_totals", "line_amounts"]


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

"""The cost lines and component totals of a portfolio, indexed to the valuation date and summed
per category (CAS 2023 art. 16, 22; docs/DOMAIN.md §2.2) — numpy over the typed records
(:class:`~valuation.core.ragged.Ragged` ``cost.lines``: ``category`` int16 codes into
:data:`.kernel.COMPONENTS`, ``amount``/``price_index`` float64 NaN missing,
``allocation_share`` float64 with its schema default 1). Negative amounts and allocation shares
outside (0, 1] are refused with the field, value and asset.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.errors import Issue, ValidationError
from ...core.ragged import item_specs
from .kernel import COMPONENTS

__all__ = ["category_labels", "component_totals", "line_amounts"]


def _negative_issues(values: np.ndarray, fields: list[str], ids: list[Any]) -> list[Issue]:
    out = []
    for i in np.flatnonzero(values < 0)[:20]:
        out.append(Issue(fields[i], float(values[i]), ">= 0",
                         f"{fields[i]} = {values[i]:g} 为负数：成本金额不能为负（资产 {ids[i]}）",
                         f"{fields[i]} = {values[i]:g} is negative: cost amounts must be >= 0 (asset {ids[i]})",
                         asset_id=None if ids[i] is None else str(ids[i])))
    return out


def category_labels() -> tuple[str, ...]:
    """The labels of the ``cost.lines`` category codes (code i ↔ label i)."""
    return next(s.labels for s in item_specs("cost.lines") if s.name == "category") or ()


def _category_codes(lines: Any) -> np.ndarray:
    """The lines' categories as positions in :data:`.kernel.COMPONENTS` (-1: none of them)."""
    labels = category_labels()
    to_component = np.array([COMPONENTS.index(c) if c in COMPONENTS else -1 for c in labels] + [-1])
    return to_component[lines["category"]]   # (code -1, missing, → the last entry: -1)


def line_amounts(lines: Any, ids: Sequence[Any], index_at_valuation: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Cost lines indexed to the valuation date, summed per asset and category.

    amount_k' = amount_k × allocation_share_k × (I_valuation / I_incurred,k)
    (share default 1; no index when incurred or at valuation → factor 1).

    Parameters
    ----------
    lines : the ``cost.lines`` :class:`~valuation.core.ragged.Ragged` of the ``ids`` assets.
    ids : asset ids (for the refusals).
    index_at_valuation : price index at the valuation date per asset (NaN: none).

    Returns
    -------
    (sums, present): (assets × :data:`.kernel.COMPONENTS`) sums of the indexed amounts (a
    missing amount adds 0) and whether the asset has a line of that category.
    """
    n = len(ids)
    owner = lines.owner
    amt = lines["amount"]
    pos = np.arange(len(amt)) - lines.offsets[owner]      # the line's place within its asset
    aid = [ids[o] for o in owner.tolist()]
    issues = _negative_issues(amt, [f"cost.lines[{p}].amount" for p in pos.tolist()], aid)
    share = lines["allocation_share"]
    for i in np.flatnonzero((share <= 0) | (share > 1))[:20]:
        issues.append(Issue(f"cost.lines[{pos[i]}].allocation_share", float(share[i]), "0 < share <= 1",
                            f"cost.lines[{pos[i]}].allocation_share = {share[i]:g} 不在 (0, 1]（资产 {aid[i]}）",
                            f"cost.lines[{pos[i]}].allocation_share = {share[i]:g} is outside (0, 1] (asset {aid[i]})",
                            asset_id=str(aid[i])))
    if issues:
        raise ValidationError(issues)
    share = np.where(np.isnan(share), 1.0, share)
    ii, iv = lines["price_index"], np.asarray(index_at_valuation, dtype=float)[owner]
    factor = np.where(np.isnan(ii) | np.isnan(iv), 1.0, iv / ii)
    cat = _category_codes(lines)
    keep = cat >= 0
    sums = np.zeros((n, len(COMPONENTS)))
    present = np.zeros((n, len(COMPONENTS)), dtype=bool)
    amount = amt * share * factor
    # a missing amount adds nothing, but the line still states the category
    np.add.at(sums, (owner[keep], cat[keep]), np.where(np.isnan(amount[keep]), 0.0, amount[keep]))
    present[owner[keep], cat[keep]] = True
    return sums, present


def component_totals(components: np.ndarray, ids: Sequence[Any], lines: Any = None,
                     index_at_valuation: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Components (assets × :data:`.kernel.COMPONENTS`) = given totals + indexed cost lines.

    A category given both as a total and as lines is the sum of both (the total is read as an
    un-itemised amount); the second return value flags those assets (double-counting risk).
    The third flags assets with at least one cost line. NaN where neither is given.

    Parameters
    ----------
    components : (assets × 5) given totals, NaN where none is given.
    ids : the assets' ids (for the refusals).
    lines : the ``cost.lines`` records (:class:`~valuation.core.ragged.Ragged`) or None.
    index_at_valuation : price index at the valuation date per asset (with ``lines``).
    """
    vals = np.asarray(components, dtype=float)
    if (vals < 0).any():
        ids_s = [str(x) for x in ids]
        raise ValidationError(_negative_issues(
            vals.reshape(-1), [f"cost.components.{c}" for _ in ids_s for c in COMPONENTS],
            [a for a in ids_s for _ in COMPONENTS]))
    n = len(vals)
    if lines is None or not len(lines.offsets) > 1 or not lines.offsets[-1]:
        return vals, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    piv = np.full(n, np.nan) if index_at_valuation is None else index_at_valuation
    by, present = line_amounts(lines, ids, piv)
    given = ~np.isnan(vals)
    both = (given & present).any(axis=1)
    has_lines = present.any(axis=1)
    comp = np.where(given | present, np.where(given, vals, 0.0) + by, np.nan)
    return comp, both, has_lines

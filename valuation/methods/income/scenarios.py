"""Several application scenarios of the income approach: P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t,
vectorised over all scenario rows (docs/DOMAIN.md §3.5 item 5; CAS 2023 art. 18, 21).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .kernel import discount, life_weights

__all__ = ["scenario_values"]


def _scenarios(rec: Any, n: int, rate: np.ndarray, life: np.ndarray, frac: np.ndarray, mid: np.ndarray,
               pub: np.ndarray, rate_shift=None) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
    """P = Σ_k j_k Σ_t F_kt v_kt per asset, vectorised over all scenario rows (one kernel call).

    ``rec``: the ``income.scenarios`` records (:class:`~valuation.core.ragged.Ragged`, or None)
    of the n assets. Returns the value per asset (NaN: no scenarios, or one without a value) and
    the detail per scenario row (``pos``: its asset's position, ``name``, ``share``,
    ``discount_rate``, ``pv``, ``contribution``), None without scenarios."""
    out = np.full(n, np.nan)
    if rec is None:
        return out, None
    pos = rec.owner
    flows = rec["income"].tolist()
    L = max(len(x) for x in flows)
    S = np.array([list(x) + [np.nan] * (L - len(x)) for x in flows], dtype=float).reshape(len(flows), L)
    r = rec["discount_rate"]
    r = np.where(np.isnan(r), rate[pos], r)
    if rate_shift is not None:
        r = rate_shift(r, pos)
    w = life_weights(life[pos], S.shape[1], frac[pos])
    res = discount(S, r, weights=w, first_fraction=frac[pos], mid=mid[pos], publication=pub[pos])
    share = rec["share"]
    contrib = share * res.value
    tot = np.zeros(n)
    np.add.at(tot, pos, contrib)
    bad = np.zeros(n, bool)
    np.logical_or.at(bad, pos, np.isnan(contrib))
    has = np.zeros(n, bool)
    has[pos] = True
    out = np.where(has & ~bad, tot, np.where(has, np.nan, out))
    detail = {"pos": pos, "name": rec["name"], "share": share, "discount_rate": res.rate, "pv": res.value,
              "contribution": contrib}
    return out, detail


scenario_values = _scenarios

"""Several application scenarios of the income approach: P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t,
vectorised over all scenario rows (docs/DOMAIN.md §3.5 item 5; CAS 2023 art. 18, 21).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.portfolio import Portfolio
from .kernel import (
    discount,
    life_weights,
)
from .streams import records_at

__all__ = ["scenario_values"]

# --------------------------------------------------------------------------- scenarios
def _scenarios(pf: Portfolio, rate: np.ndarray, life: np.ndarray, frac: np.ndarray, mid: np.ndarray,
               pub: np.ndarray, rate_shift=None) -> tuple[np.ndarray, pd.DataFrame | None]:
    """P = Σ_k j_k Σ_t F_kt v_kt per asset, vectorised over all scenario rows (one kernel call)."""
    n = len(pf)
    out = np.full(n, np.nan)
    rec, pos = records_at(pf, "income.scenarios")
    if rec is None:
        return out, None
    L = max(len(x) for x in rec["income"])
    S = np.array([list(x) + [np.nan] * (L - len(x)) for x in rec["income"]], dtype=float).reshape(len(rec), L)
    r = rec["discount_rate"].to_numpy(dtype=float, na_value=np.nan)
    r = np.where(np.isnan(r), rate[pos], r)
    if rate_shift is not None:
        r = rate_shift(r, pos)
    w = life_weights(life[pos], S.shape[1], frac[pos])
    res = discount(S, r, weights=w, first_fraction=frac[pos], mid=mid[pos], publication=pub[pos])
    share = rec["share"].to_numpy(dtype=float, na_value=np.nan)
    contrib = share * res.value
    tot = np.zeros(n)
    np.add.at(tot, pos, contrib)
    bad = np.zeros(n, bool)
    np.logical_or.at(bad, pos, np.isnan(contrib))
    has = np.zeros(n, bool)
    has[pos] = True
    out = np.where(has & ~bad, tot, np.where(has, np.nan, out))
    detail = pd.DataFrame({"asset_id": rec["asset_id"].to_numpy(), "name": rec["name"].to_numpy(),
                           "share": share, "discount_rate": res.rate, "pv": res.value, "contribution": contrib})
    return out, detail




scenario_values = _scenarios

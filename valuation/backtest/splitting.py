"""Leakage-free fit / hold-out splits of listing files for the market back-test.

A listing and its near-duplicate — the same product of the same seller listed again, or the
same series in another year ("铝2020年度指数数据" / "铝2021年度指数数据", one price list) — are
not independent evidence: with one in the case library and the other in the hold-out, the
nearest neighbour simply copies the price and the back-test measures recall, not valuation.
So the split draws *groups*, never rows (scikit-learn ``GroupShuffleSplit``), per exchange:

* ``row`` — every row its own group (the plain random split; leaky on listing data);
* ``title`` — the listing family: exchange + provider + title normalised (NFKC, case folded,
  punctuation, spaces and digits removed), so every year / edition of one series and every
  re-listing of one product fall on the same side;
* ``provider`` — the seller (exchange + provider); rows that name no provider (all of
  Zhejiang's) fall back to their ``title`` family. This is the "new seller" test.

Duplicate listings (same exchange, provider, normalised title, price and mode) are dropped at
import (``valuation.library.cases.listings``).
Pure: frames in, masks / keys out (issue 16, "checked on listings you have not seen").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit

from ..library.cases.listings import family_key, text_column

__all__ = ["GROUP_BY", "group_keys", "split_mask"]

GROUP_BY = ("row", "title", "provider")


def group_keys(df: pd.DataFrame, by: str) -> np.ndarray:
    """The group of every row for a split ``by`` ∈ :data:`GROUP_BY` (see the module docstring)."""
    if by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {GROUP_BY}, not {by!r}")
    if by == "row":
        return np.arange(len(df)).astype(str).astype(object)
    plat, prov = text_column(df, "platform"), text_column(df, "provider")
    family = family_key(df)
    if by == "title":
        return family.to_numpy(object)
    return np.where(prov != "", plat + "|provider|" + prov, family).astype(object)


def split_mask(df: pd.DataFrame, by: str = "title", *, share: float = 0.7, seed: int = 0) -> np.ndarray:
    """True = fitting part. Per exchange (``platform``), groups (:func:`group_keys`) are drawn
    so that about ``share`` of them fit and the rest is held out; no group ever lies on both
    sides (every group key holds its exchange). An exchange of one group fits entirely."""
    n = len(df)
    out = np.zeros(n, dtype=bool)
    g = group_keys(df, by)
    plat = text_column(df, "platform").to_numpy(object)
    for v in dict.fromkeys(plat.tolist()):
        idx = np.flatnonzero(plat == v)
        if len(set(g[idx].tolist())) < 2:
            out[idx] = True
            continue
        gss = GroupShuffleSplit(n_splits=1, train_size=share, random_state=seed)
        tr, _ = next(gss.split(np.zeros(len(idx)), groups=g[idx]))
        out[idx[tr]] = True
    return out

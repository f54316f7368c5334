"""Years between dates as the rights terms count them (docs/POLICY_CHOICES.md §3): whole
anniversaries, then the days left / 365 — a term ending on the fifth anniversary is five years.
Read by the income approach (life, tail), the cost approach (the life cap) and the rules' facts,
so the three never disagree on a term."""
from __future__ import annotations

import numpy as np

__all__ = ["calendar_years"]


def calendar_years(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Years from ``start`` to ``end``: whole anniversaries, then the days left / 365 (NaN where
    either is missing; negative when the end is before the start). Pure numpy (datetime64 units):
    an anniversary on 29 February falls on 28 February in other years. Each date is turned into
    its month once (year and month of the year are that month's integer ÷ and mod 12, as numpy
    counts them) and the months into their first days once."""
    n = len(start)
    out = np.full(n, np.nan)
    ok = ~(np.isnat(start) | np.isnat(end))
    if not ok.any():
        return out
    s = np.asarray(start[ok]).astype("datetime64[D]")
    e = np.asarray(end[ok]).astype("datetime64[D]")
    sM, eM = s.astype("datetime64[M]"), e.astype("datetime64[M]")
    si, ei = sM.astype(np.int64), eM.astype(np.int64)          # months since 1970-01
    sm, em = si % 12, ei % 12                                  # month of the year, 0-based
    sd = (s - sM.astype("datetime64[D]")).astype(np.int64)     # day of the month, 0-based
    ed = (e - eM.astype("datetime64[D]")).astype(np.int64)
    y = (ei // 12 - si // 12) - ((em < sm) | ((em == sm) & (ed < sd))).astype(np.int64)
    month = sM + 12 * y                                        # the anniversary's month
    first = month.astype("datetime64[D]")
    dim = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    anniv = first + np.minimum(sd, dim - 1)
    out[ok] = y + (e - anniv).astype(np.int64) / 365.0
    return out

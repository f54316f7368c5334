"""Flag codes new and cleared between two results of an asset: the diff of a run's results
(:mod:`valuation.batch.assemble`) and of two recorded runs (:func:`valuation.batch.rundb.runs_diff`).

A module of its own so that the run history (:mod:`valuation.batch.rundb`, imported by the CLI's
and the service's run commands) does not import the results sink and, through it, the
partition code and the core's validation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["flag_changes"]


def flag_changes(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(new, cleared)`` flag codes per row (``;``-joined), computed once per distinct pair."""
    n = len(before)
    if n == 0:
        return np.array([], dtype=object), np.array([], dtype=object)
    # factorize each side, then the pairs of codes (a MultiIndex of 10⁶ strings costs seconds)
    cb, ub = pd.factorize(np.asarray(before, dtype=object).astype(str))
    ca, ua = pd.factorize(np.asarray(after, dtype=object).astype(str))
    pair_codes, codes = np.unique(cb.astype(np.int64) * len(ua) + ca, return_inverse=True)
    uniq = [(ub[k // len(ua)], ua[k % len(ua)]) for k in pair_codes.tolist()]
    new, cleared = [], []
    for b, a in uniq:
        sb = [x for x in b.split(";") if x]
        sa_ = [x for x in a.split(";") if x]
        new.append(";".join(x for x in sa_ if x not in sb))
        cleared.append(";".join(x for x in sb if x not in sa_))
    return np.array(new, dtype=object)[codes], np.array(cleared, dtype=object)[codes]

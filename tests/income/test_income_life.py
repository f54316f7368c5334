"""The economic life worked out a bound at a time is the minimum over the (n, 7) matrix of the
horizon and its bounds, and the bound that won its first argmin."""
import numpy as np
import pandas as pd
import pytest

from valuation.core.columns import AssetTable
from valuation.methods.income import BOUNDS, _life
from valuation.methods.income.term import renewal_stated


def _calendar_years(start, end) -> float:
    """Whole anniversaries, then the days left / 365 (docs/POLICY_CHOICES.md §3), with Python's
    dates (an anniversary on 29 February falls on 28 February): the engine's numpy version is
    ``methods.income.term.calendar_years``."""
    import datetime as dt

    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return np.nan
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()

    def anniversary(k: int) -> dt.date:
        y = start.year + k
        return dt.date(y, start.month, min(start.day, 28 if start.month == 2 else start.day))

    k = end.year - start.year
    while k > 0 and anniversary(k) > end:
        k -= 1
    return k + (end - anniversary(k)).days / 365


def _matrix_life(a, horizon: np.ndarray, stop: np.ndarray):
    """The former formulation: one (n, 7) matrix, its row minimum and argmin."""
    vd, te = a["valuation_date"], a["rights_term_end"]
    rights = np.array([_calendar_years(v, e) for v, e in zip(vd.tolist(), te.tolist())])
    renew = renewal_stated(a)[0]      # documented AND evidence named (issue 17)
    mat = np.column_stack([horizon, np.where(renew, np.nan, rights)]
                          + [a[f"income_life_{k}_years"] for k in ("contract", "legal", "timeliness", "product")]
                          + [stop])
    filled = np.where(np.isnan(mat), np.inf, mat)
    filled[:, 1:] = np.where(filled[:, 1:] >= filled[:, :1] - 1e-9, np.inf, filled[:, 1:])
    return filled.min(axis=1), filled.argmin(axis=1), rights


@pytest.mark.parametrize("n", [1, 10, 64, 4130])
def test_life_is_the_row_minimum(n):
    rng = np.random.default_rng(n)

    def years(size):   # ties, NaN, zero, the horizon's own values and values within 1e-9 of them
        return rng.choice([np.nan, 0.0, 1.0, 2.5, 3.0, 3.0 + 5e-10, 4.75, 5.0, 7.0, np.inf], size=size)

    vd = pd.Timestamp("2025-12-31")
    a = pd.DataFrame({
        "valuation_date": pd.DatetimeIndex([vd] * n).as_unit("ns"),
        "rights_term_end": pd.DatetimeIndex(np.where(rng.random(n) < 0.3, pd.NaT,
                                                     vd + pd.to_timedelta(rng.integers(0, 3000, n), "D"))).as_unit("ns"),
        "rights_renewal_documented": rng.random(n) < 0.3,
        "rights_renewal_evidence": np.where(rng.random(n) < 0.7, "contract §8", None),
        **{f"income_life_{k}_years": years(n) for k in ("contract", "legal", "timeliness", "product")},
    })
    horizon, stop = years(n), years(n)
    t = AssetTable.from_frame(a)     # (the frame read with the asset table's types)
    got = _life(t, horizon, stop)
    want = _matrix_life(t, horizon, stop)
    if n > 60:
        assert set(want[1].tolist()) == set(range(len(BOUNDS)))   # every bound wins somewhere
    for x, y in zip(got, want, strict=True):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()

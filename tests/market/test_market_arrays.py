"""The array paths of the market approach give pandas' numbers bit for bit."""
import numpy as np
import pandas as pd
import pytest

from valuation.methods.market import grid
from valuation.methods.market.approach import _valuation_dates


def _reference_aggregate(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pandas groupby definition of :func:`grid.aggregate`."""
    g = pairs.assign(_wp=pairs["weight"] * pairs["p_adj"], _lp=np.log(pairs["p_adj"])).groupby("subject")
    out = pd.DataFrame({"n": g.size(), "estimate": g["_wp"].sum(), "p_min": g["p_adj"].min(),
                        "p_max": g["p_adj"].max(), "mean_log": g["_lp"].mean(), "sd_log": g["_lp"].std(ddof=1)})
    out["spread"] = out["p_max"] / out["p_min"]
    return out


@pytest.mark.parametrize("seed", range(6))
def test_group_sums_are_pandas_groupby(seed):
    rng = np.random.default_rng(seed)
    for it in range(150):
        m, n = int(rng.integers(1, 25)), int(rng.integers(1, 6))
        subj = rng.integers(0, n, m)
        if it % 2:
            subj = np.sort(subj)          # sorted labels take pandas' reduceat path
        p = np.exp(rng.normal(size=m) * rng.uniform(0.01, 3)) * 10.0 ** rng.integers(0, 8)
        if it % 5 == 0:
            p[rng.integers(0, m)] = np.nan  # NaN takes the compensated kernel
        tot = np.abs(rng.normal(size=m)) * (rng.random(m) > 0.2)
        scheme = np.where(rng.random(m) > 0.5, "equal", "inverse_adjustment").astype(object)
        raw = np.where(scheme == "inverse_adjustment", 1.0 / np.maximum(tot, 1e-9), 1.0)
        ref_w = raw / pd.Series(raw).groupby(subj).transform("sum").to_numpy(float)
        w = grid.pair_weights(subj, tot, scheme)
        assert np.array_equal(w, ref_w)
        pairs = pd.DataFrame({"subject": subj, "p_adj": p, "weight": w})
        with np.errstate(all="ignore"):
            ref = _reference_aggregate(pairs)
        got = grid.aggregate(pairs)
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
        cols = grid.aggregate_columns(grid.Groups(subj), w, p, n + 1)
        full = ref.reindex(np.arange(n + 1))
        for k in grid.AGGREGATES:
            assert np.array_equal(cols[k], full[k].to_numpy(float), equal_nan=True), k


def test_coefficients_frame_and_arrays_agree():
    pairs = pd.DataFrame({"subject": [0, 0, 1], "price": [10.0, 12.0, 9.0], "q_s": [80.0, 80.0, np.nan],
                          "q_c": [70.0, 90.0, 85.0], "n_s": [1e6, 1e6, 2e6], "n_c": [2e6, 5e5, np.nan],
                          "beta": [np.nan, 0.5, 0.5], "ex_s": ["sole", "sole", None],
                          "ex_c": ["exclusive", np.nan, "sole"], "ev_s": ["transaction"] * 3,
                          "ev_c": ["listing", "transaction", "x"], "x3_given": [np.nan, 1.1, np.nan]})
    tables = {"x5_exclusivity": {"exclusive": 1.0, "sole": 0.95}, "x5_evidence_type": {"listing": 1.0,
                                                                                      "transaction": 0.9}}
    out = grid.coefficients(pairs, **tables)
    assert out["x3"].tolist()[1] == 1.1 and out["x1"].tolist()[2] == 1.0
    assert np.array_equal(out["product"].to_numpy(), np.prod(out[list(grid.COEFFICIENTS)].to_numpy(), axis=1))


def test_valuation_dates_as_strftime():
    a = pd.DataFrame({"valuation_date": [pd.Timestamp("2025-12-31"), pd.NaT, pd.Timestamp("2024-02-29 13:45")]})
    ref = pd.to_datetime(a["valuation_date"], errors="coerce").dt.strftime("%Y-%m-%d").to_numpy(object)
    got = _valuation_dates(a)
    assert got[0] == ref[0] and got[2] == ref[2] and pd.isna(got[1]) and pd.isna(ref[1])
    text = pd.DataFrame({"valuation_date": ["2025-06-30", "bad"]})
    assert _valuation_dates(text)[0] == "2025-06-30" and pd.isna(_valuation_dates(text)[1])

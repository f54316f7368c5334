"""The market approach's arrays: per-subject sums, the adjustment coefficients and the typed
case table (CAS 2023 art. 23 and annex; docs/DOMAIN.md §4)."""
import numpy as np
import pandas as pd
import pytest

from valuation.library.cases.table import case_table, parse_dates
from valuation.methods.market import grid


def _reference_aggregate(subj: np.ndarray, w: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """The pandas groupby definition the market approach's numbers were frozen with."""
    pairs = pd.DataFrame({"subject": subj, "p_adj": p, "weight": w})
    g = pairs.assign(_wp=pairs["weight"] * pairs["p_adj"], _lp=np.log(pairs["p_adj"])).groupby("subject")
    out = pd.DataFrame({"n": g.size(), "estimate": g["_wp"].sum(), "p_min": g["p_adj"].min(),
                        "p_max": g["p_adj"].max(), "mean_log": g["_lp"].mean(), "sd_log": g["_lp"].std(ddof=1)})
    out["spread"] = out["p_max"] / out["p_min"]
    return out


@pytest.mark.parametrize("seed", range(3))
def test_group_sums_are_the_frozen_groupby_numbers(seed):
    rng = np.random.default_rng(seed)
    for it in range(100):
        m, n = int(rng.integers(1, 25)), int(rng.integers(1, 6))
        subj = rng.integers(0, n, m)
        if it % 2:
            subj = np.sort(subj)
        p = np.exp(rng.normal(size=m) * rng.uniform(0.01, 3)) * 10.0 ** rng.integers(0, 8)
        if it % 5 == 0:
            p[rng.integers(0, m)] = np.nan
        tot = np.abs(rng.normal(size=m)) * (rng.random(m) > 0.2)
        scheme = np.where(rng.random(m) > 0.5, "equal", "inverse_adjustment").astype(object)
        w = grid.pair_weights(subj, tot, scheme)
        with np.errstate(all="ignore"):
            ref = _reference_aggregate(subj, w, p).reindex(np.arange(n + 1))
        cols = grid.aggregate_columns(grid.Groups(subj), w, p, n + 1)
        for k in grid.AGGREGATES:
            assert np.array_equal(cols[k], ref[k].to_numpy(float), equal_nan=True), k


def test_weights_by_hand():
    # subject 0: equal → 1/2 each; subject 1: inverse adjustment, Σ|ln X| = 0.1 and 0.3 →
    # w ∝ 10 and 3.333… → 0.75, 0.25 (tolerance 1e-15)
    subj = np.array([0, 0, 1, 1])
    w = grid.pair_weights(subj, np.array([0.2, 0.0, 0.1, 0.3]),
                          np.array(["equal", "equal", "inverse_adjustment", "inverse_adjustment"], dtype=object))
    assert np.allclose(w, [0.5, 0.5, 0.75, 0.25], rtol=0, atol=1e-15)


def test_coefficients_by_hand():
    # X1 = 80/70; X4 ratio 1e6/2e6 = 0.5 (β NaN) and (1e6/5e5)^0.5 = √2; X5 exclusivity
    # sole/exclusive = 0.95 and evidence transaction/listing = 0.9; a given X3 wins; a missing
    # quality, an unknown level and a missing record count give 1
    cols = {"price": np.array([10.0, 12.0, 9.0]), "q_s": np.array([80.0, 80.0, np.nan]),
            "q_c": np.array([70.0, 90.0, 85.0]), "n_s": np.array([1e6, 1e6, 2e6]),
            "n_c": np.array([2e6, 5e5, np.nan]), "beta": np.array([np.nan, 0.5, 0.5]),
            "ex_s": np.array(["sole", "sole", None], dtype=object),
            "ex_c": np.array(["exclusive", None, "sole"], dtype=object),
            "ev_s": np.array(["transaction"] * 3, dtype=object),
            "ev_c": np.array(["listing", "transaction", "x"], dtype=object),
            "x3_given": np.array([np.nan, 1.1, np.nan])}
    out = grid.coefficient_columns(cols, 3, x5_exclusivity={"exclusive": 1.0, "sole": 0.95},
                                   x5_evidence_type={"listing": 1.0, "transaction": 0.9})
    assert out["x1"] == pytest.approx([80 / 70, 80 / 90, 1.0], rel=1e-15)
    assert out["x3"] == pytest.approx([1.0, 1.1, 1.0], rel=1e-15)
    assert out["x4"] == pytest.approx([0.5, 2 ** 0.5, 1.0], rel=1e-15)
    assert out["x5"] == pytest.approx([0.95 * 0.9, 1.0, 1.0], rel=1e-15)
    prod = np.prod([out[k] for k in grid.COEFFICIENTS], axis=0)
    assert out["product"] == pytest.approx(prod, rel=1e-15)
    assert out["p_adj"] == pytest.approx(cols["price"] * prod, rel=1e-15)


def test_case_table_has_one_missing_convention():
    fr = pd.DataFrame({"case_id": ["a", "b", "c"], "price_mode": pd.array(["one_off", None, ""], dtype="str"),
                       "price": [1.0, np.nan, 3.0], "date": ["2024-01-31", None, "2023-12-01"]})
    t = case_table(fr)
    assert t["price_mode"].tolist() == ["one_off", None, None]      # None, never NaN or ""
    assert t["price"].dtype == np.float64 and np.isnan(t["price"][1])
    assert t["date"].dtype == np.dtype("datetime64[D]") and np.isnat(t["date"][1])
    assert t["date"][0] == np.datetime64("2024-01-31")
    sub = t.take(np.array([2, 0]))
    assert sub["case_id"].tolist() == ["c", "a"] and sub.frame["case_id"].tolist() == ["c", "a"]
    with pytest.raises(ValueError):
        t["price"][0] = 2.0                                          # frozen arrays


@pytest.mark.filterwarnings("ignore:Could not infer format")
def test_parse_dates():
    assert parse_dates(["2024-02-29", "1999-12-31"]).tolist() == [np.datetime64("2024-02-29").item(),
                                                                   np.datetime64("1999-12-31").item()]
    got = parse_dates(["2024-02-30", None, "2024-03-01"])            # an invalid day is missing
    assert np.isnat(got[0]) and np.isnat(got[1]) and got[2] == np.datetime64("2024-03-01")
    assert len(parse_dates([])) == 0


def test_comparables_are_read_in_row_order_with_none_for_missing_text():
    from valuation.methods.market.inputs import comparables_of

    rec = pd.DataFrame({"asset_id": ["B", "A", "X", "B"], "case_id": ["c1", None, "c3", ""],
                        "price": [10.0, None, 3.0, "12"], "price_mode": ["one_off", None, "per_call", "one_off"]})
    got = comparables_of(rec, np.array(["A", "B"], dtype=object))
    # the asset X is not in the portfolio: left out; rows keep the table's order
    assert got["subject"].tolist() == [1, 0, 1]
    assert got["case_id"].tolist() == ["c1", None, None]                # "" is missing too
    assert np.array_equal(got["price"], [10.0, np.nan, 12.0], equal_nan=True)
    assert got["price_mode"].tolist() == ["one_off", None, "one_off"]
    assert np.isnan(got["x1"]).all() and got["exclusivity"].tolist() == [None] * 3   # absent columns
    assert comparables_of(rec.iloc[:0], np.array(["A"], dtype=object)) is None

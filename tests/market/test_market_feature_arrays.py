"""Features and dates of the market approach, computed by hand (docs/DOMAIN.md §4.3–4.4)."""
import numpy as np
import pytest

from valuation.methods.market.features import Encoder, decimal_year, raw_feature_arrays
from valuation.methods.market.fit import LibraryFit
from valuation.methods.market.hedonic import HedonicModel, ModeFit
from valuation.methods.market.pairs import _year_offsets
from valuation.methods.market.params import resolve_params

KEYWORDS = [{"name": "query", "pattern": "查询|API"}, {"name": "index", "pattern": "指数"}]


def test_decimal_year_by_hand():
    d = np.array(["2024-01-01", "2024-07-01", "NaT", "2023-12-31"], dtype="datetime64[D]")
    got = decimal_year(d)
    # 2024-07-01 is day 183 of the leap year → 2024 + 182/365.25; 2023-12-31 is day 365
    assert got[0] == 2024.0 and got[1] == 2024 + 182 / 365.25 and np.isnan(got[2])
    assert got[3] == 2023 + 364 / 365.25


def test_raw_features_by_hand():
    cols = {"category": np.array(["finance", "", None], dtype=object),
            "records": np.array([np.e ** 2, -1.0, np.nan]), "quality": np.array([80.0, np.nan, 50.0]),
            "date": np.array(["2024-01-01", "NaT", "2020-01-01"], dtype="datetime64[D]"),
            "title": np.array(["企业查询API", None, "价格指数"], dtype=object)}
    f = raw_feature_arrays(cols, ["category", "platform"], KEYWORDS)
    assert f["category"].tolist() == ["finance", None, None]          # empty text is missing
    assert f["platform"].tolist() == [None, None, None]               # an absent column too
    assert f["log_records"][0] == pytest.approx(2.0, rel=1e-15)
    assert np.isnan(f["log_records"][1:]).all()                       # ≤ 0 and unknown → NaN, never 0
    assert np.isnan(f["log_fields"]).all()
    assert f["year"][0] == 2024.0 and np.isnan(f["year"][1]) and f["year"][2] == 2020.0
    assert f["kw_query"].tolist() == [1.0, 0.0, 0.0] and f["kw_index"].tolist() == [0.0, 0.0, 1.0]


def test_encoder_reference_is_the_most_frequent_level_ties_first_seen():
    # b ×3, a ×3 (a seen first), c ×1 → levels a, b (reference a: most frequent, first seen);
    # c is rare (< 2) and alone too few for "_other": pooled into the reference
    v = np.array(["a", "b", "b", "a", "c", "a", "b", None], dtype=object)
    enc = Encoder(["g"], [], (), 2, "hedonic").fit({"g": v})
    assert enc.levels_["g"] == ["a", "b"] and enc.map_["g"]["c"] == "a"
    assert enc.shares_["g"].tolist() == [4 / 7, 3 / 7]
    X = enc.transform({"g": np.array(["b", "c", None], dtype=object)})
    # intercept, dummy b; a missing level takes the sample share of b
    assert X.tolist() == [[1.0, 1.0], [1.0, 0.0], [1.0, 3 / 7]]


def test_group_variances_by_hand():
    fit = ModeFit("one_off", Encoder([], []), np.zeros(1), np.zeros((1, 1)), sigma2=1.0, df_resid=1.0, nobs=4,
                  rsquared=0.0, names=["const"])
    g = np.array(["x", None, "x", "y"], dtype=object)
    s2 = HedonicModel._group_variances(fit, g, np.array([1.0, 2.0, 3.0, 0.0]), lam=2.0)
    # x: (1 + 9 + 2·1)/(2 + 2) = 3; _missing: (4 + 2)/(1 + 2) = 2; y: (0 + 2)/(1 + 2) = 2/3
    assert fit.group_sigma2 == pytest.approx({"x": 3.0, "_missing": 2.0, "y": 2 / 3}, rel=1e-15)
    assert s2 == pytest.approx([3.0, 2.0, 3.0, 2 / 3], rel=1e-15)


def test_year_offsets_by_hand():
    class _Fit:     # the part of a LibraryFit the offsets read: the case table's days
        table = {"date": np.array(["2025-12-31", "2024-12-31", "NaT"], dtype="datetime64[D]")}

    subj = np.array(["2024-12-31", "NaT"], dtype="datetime64[D]")
    got = _year_offsets(subj, np.array([0, 0, 0, 1]), _Fit(), np.array([0, 1, 2, 0]))
    assert got[0] == 365 / 365.25 and got[1] == 0.0 and np.isnan(got[2]) and np.isnan(got[3])


def test_library_fit_reads_the_typed_cases():
    from valuation import api
    from valuation.library.cases import priced_cases

    cases = api.snapshot("seed").cases
    fit = LibraryFit(cases, {**resolve_params(None), "allow_synthetic": True})
    t = fit.table
    assert len(t) == len(priced_cases(cases)) > 0 and t["date"].dtype == np.dtype("datetime64[D]")
    assert all(x is None or (type(x) is str and x) for x in t["platform"].tolist())
    assert fit.features(["category"], [])["year"].shape == (len(t),)


def test_encoder_missing_indicators_and_keywords_count_rows():
    # 10 rows, min_level_count 2: x has 3 missing (2 ≤ 3 ≤ 8 → a missing indicator) and is
    # centred on the mean of the 7 given values, 4.0; kw_a has 3 hits (kept), kw_b 1 (dropped)
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, np.nan, 6.0, 7.0, np.nan, 3.0])
    kw_a = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    kw_b = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    enc = Encoder([], ["x"], ["kw_a", "kw_b"], 2, "hedonic").fit({"x": x, "kw_a": kw_a, "kw_b": kw_b})
    assert enc.names_ == ["const", "x", "x_missing", "kw_a"]
    X = enc.transform({"x": np.array([6.0, np.nan]), "kw_a": np.array([0.0, 1.0]), "kw_b": np.zeros(2)})
    assert X.tolist() == [[1.0, 2.0, 0.0, 0.0], [1.0, 0.0, 1.0, 1.0]]

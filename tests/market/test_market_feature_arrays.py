"""The array paths of the market features and dates give the pandas paths' numbers bit for bit."""
import numpy as np
import pandas as pd
import pytest

from valuation.methods.market.approach import _to_datetime, _year_offsets, fit_library
from valuation.methods.market.features import (
    _decimal_year,
    _decimal_year_of,
    iso_days,
    raw_feature_arrays,
    raw_features,
)

KEYWORDS = [{"name": "query", "pattern": "查询|API"}, {"name": "index", "pattern": "指数"}]
CATEGORICAL = ["category", "platform", "rights_type"]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype == object or b.dtype == object:
        return len(a) == len(b) and all((x == y) or (pd.isna(x) and pd.isna(y)) for x, y in zip(a, b))
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def _random_dates(rng: np.random.Generator, n: int, bad: bool) -> list:
    days = np.datetime64("1990-01-01") + rng.integers(0, 20_000, n)
    out = [str(d) for d in days]
    if bad:
        for i in rng.integers(0, n, max(1, n // 3)):
            out[i] = rng.choice(["2024-02-30", "2024-1-5", "", "2024/03/01", "0999-01-01", None, np.nan])
    return out


@pytest.mark.filterwarnings("ignore:Could not infer format")
@pytest.mark.parametrize("seed", range(4))
def test_iso_dates_parse_like_pandas(seed):
    rng = np.random.default_rng(seed)
    for it in range(40):
        n = int(rng.integers(1, 12))
        vals = _random_dates(rng, n, bad=bool(it % 3 == 0))
        arr = np.array(vals, dtype=object)
        ref = _decimal_year_of(pd.Series(arr))     # the column a frame of the array holds
        assert _same(_decimal_year(arr), ref), vals
        assert _same(_decimal_year(pd.Series(arr)), ref), vals
        days = iso_days(vals)
        if days is not None:                        # then pandas reads any subset alike
            sub = rng.integers(0, n, int(rng.integers(1, n + 1)))
            parsed = pd.to_datetime(pd.Series(arr[sub]), errors="coerce")
            assert np.array_equal(parsed.to_numpy().astype("datetime64[D]"), days[sub])


@pytest.mark.filterwarnings("ignore:Could not infer format")
@pytest.mark.parametrize("seed", range(3))
def test_raw_features_from_arrays_equal_from_frame(seed):
    rng = np.random.default_rng(seed)
    for it in range(20):
        n = int(rng.integers(1, 8))

        def pick(opts: list, n: int = n) -> np.ndarray:
            return np.array([opts[i] for i in rng.integers(0, len(opts), n)], dtype=object)

        cols = {
            "category": pick(["finance", "", np.nan, "transport"]),
            "rights_type": pick(["holding", "product_operation"]) if it % 2 else pick([np.nan, 3, "holding"]),
            "records": np.where(rng.random(n) > 0.3, rng.integers(-2, 10**6, n), np.nan).astype(float),
            "fields": rng.integers(0, 50, n) if it % 2 else pick(["12", np.nan, 7]),
            "quality": rng.uniform(0, 100, n),
            "date": np.array(_random_dates(rng, n, bad=bool(it % 4 == 0)), dtype=object),
            "title": pick(["企业查询API", "指数", np.nan, ""]),
        }
        got = raw_feature_arrays(cols, CATEGORICAL, KEYWORDS)
        ref = raw_features(pd.DataFrame(cols), CATEGORICAL, KEYWORDS)
        assert list(got) == list(ref.columns)
        for c in got:
            assert _same(got[c], ref[c].to_numpy(object if ref[c].dtype.kind not in "fb" else float)), c


@pytest.mark.filterwarnings("ignore:Could not infer format")
def test_year_offsets_from_parsed_library_dates():
    from valuation import api

    fit = fit_library(api.snapshot("seed").cases, {"allow_synthetic": True})
    assert fit.case_days is not None
    rng = np.random.default_rng(0)
    for bad in (False, True):
        subj = np.array(_random_dates(rng, 6, bad=bad), dtype=object)
        s = rng.integers(0, 6, 30)
        r = rng.integers(0, len(fit.cases), 30)
        ys = _to_datetime(pd.Series(subj[s]))
        yc = _to_datetime(fit.cases["date"].iloc[r].reset_index(drop=True))
        ref = ((yc - ys).dt.days / 365.25).to_numpy(float)
        assert _same(_year_offsets(subj, s, fit, r), ref)

"""The learned market model's small conversions in numpy (issue 20: no pandas in methods),
checked against the pandas forms they replace and against counts done by hand."""
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.library.cases.listings import family_key, family_keys
from valuation.methods.market.learned import _keys, _numbers, _scale

_CELL = st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-10**6, 10**6), st.booleans(),
                  st.text(max_size=6), st.sampled_from([" 12 ", "1e3", "inf", "1_000", "1,000", "-0.5"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELL, max_size=12))
def test_numbers_read_as_pandas_to_numeric_reads_them(vals):
    want = pd.to_numeric(pd.Series(vals, dtype=object), errors="coerce").to_numpy(float)
    assert np.array_equal(_numbers(vals), want, equal_nan=True)


def test_scale_logs_known_sizes_and_marks_the_rest_unknown():
    # log1p(999) = ln 1000 = 6.907755…; "x", None and 0 are unknown (-1)
    got = _scale({"records": np.array([999.0, np.nan, 0.0]), "fields": np.array(["x", None, "9"], dtype=object)}, 3)
    assert np.allclose(got[:, 0], [np.log(1000.0), -1.0, -1.0], rtol=1e-12)
    assert np.allclose(got[:, 1], [-1.0, -1.0, np.log(10.0)], rtol=1e-12)
    assert (got[:, 2] == -1.0).all()


_TEXT = st.one_of(st.none(), st.text(alphabet="ab 1,2铝-_", max_size=8))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT), max_size=10))
def test_family_keys_equal_the_frame_form(rows):
    df = pd.DataFrame(rows, columns=["platform", "provider", "title"], dtype=object)
    assert family_keys(df["platform"], df["provider"], df["title"]).tolist() == family_key(df).tolist()


def test_keys_by_hand():
    fam, prov = _keys({"platform": np.array([" SH ", "SH", None], dtype=object),
                       "provider": np.array(["p", "", "q"], dtype=object),
                       "title": np.array(["铝 2020 年度", "A-b 7", None], dtype=object)}, 3)
    assert fam.tolist() == ["SH|p|铝年度", "SH||ab", "|q|"]
    assert prov.tolist() == ["SH|p", "", "|q"]

"""The income approach's result frame is the dict constructor's; code labels, discounting with
given exponents and the income basis codes read as stated (kept from the tests of the former
column reader ``income/columns.py``, removed with it: issue 20)."""
import glob
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from valuation.core.columns import AssetTable
from valuation.core.portfolio import Portfolio
from valuation.methods.income.frame import frame, labels
from valuation.methods.income.kernel import discount, exponents, life_weights


def _same(x: np.ndarray, y: np.ndarray) -> None:
    assert x.dtype == y.dtype and x.shape == y.shape
    assert [repr(v) for v in x.tolist()] == [repr(v) for v in y.tolist()]


@pytest.mark.parametrize("n", [0, 1, 7, 63, 64, 500])
def test_frame_is_the_dict_constructor(n):
    rng = np.random.default_rng(n)
    words = np.array(["", "royalty", "split", "税前", "periods"], dtype=object)
    cols = {
        "estimate": rng.normal(size=n), "applicable": rng.random(n) > 0.5,
        "same_text": np.full(n, "", dtype=object), "mixed_text": words[rng.integers(0, 5, n)],
        "life": np.where(rng.random(n) > 0.5, np.nan, 1.0), "flag": np.zeros(n, bool),
        "one_word": np.full(n, "periods", dtype=object),
        # equal values as distinct objects, and the values of labels()
        "one_word_copies": np.where(np.ones(n, bool), "periods", "").astype(object),
        "labelled": labels(("end", "mid"), (rng.random(n) > 0.5).astype(np.intp)),
    }
    index = pd.Index([f"A{i}" for i in range(n)], name="asset_id")
    got, want = frame(dict(cols), index), pd.DataFrame(dict(cols), index=index)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in ("same_text", "mixed_text", "one_word", "one_word_copies", "labelled"):   # the same Arrow type underneath
        if n:
            assert pa.array(got[c].array).type == pa.array(want[c].array).type


def test_labels_are_the_where_of_the_names():
    codes = np.array([2, 0, 1, 1, 2, 0], dtype=np.intp)
    names = ("given", "build_up", "none")
    want = np.where(codes == 0, "given", np.where(codes == 1, "build_up", "none")).astype(object)
    _same(labels(names, codes), want)
    _same(labels(names, codes[:0]), want[:0])


def test_discount_with_given_exponents_is_the_same():
    rng = np.random.default_rng(3)
    n, T = 40, 6
    F = rng.normal(100, 30, (n, T))
    F[rng.random((n, T)) < 0.1] = np.nan
    rate, frac = rng.uniform(0.05, 0.2, n), rng.uniform(0.2, 1.0, n)
    mid, pub = rng.random(n) > 0.5, rng.random(n) > 0.5
    g = np.where(rng.random(n) > 0.5, 0.02, np.nan)
    w = life_weights(rng.uniform(0.5, T, n), T, frac)
    for p in (pub, np.zeros(n, bool), None):
        a = discount(F, rate, weights=w, first_fraction=frac, mid=mid, terminal_growth=g, publication=p)
        b = discount(F, rate, weights=w, first_fraction=frac, mid=mid, terminal_growth=g, publication=p,
                     tau=exponents(T, frac, mid))
        for x, y in zip(a.__dict__.values(), b.__dict__.values(), strict=True):
            np.testing.assert_array_equal(x, y)


def test_income_basis_codes_and_differ_match_the_text():
    """income basis (art. 21(6)): stated, else direct → pre_tax, excess → post_tax, royalty →
    post_tax with a tax rate > 0 else pre_tax, others unknown (""); a mismatch is two stated,
    different bases."""
    from valuation.methods.income import _differ
    from valuation.methods.income.streams import income_basis, income_basis_codes
    from valuation.methods.typed import coded

    t = Portfolio.from_cards(json.load(open(f, encoding="utf-8"))
                             for f in sorted(glob.glob("examples/cards/*.json"))).columns.take([0] * 8)
    spec = AssetTable.spec
    codes = lambda name, vals: np.array([-1 if v is None else spec(name).code(v) for v in vals], np.int16)  # noqa: E731
    model = ["direct", "excess", "royalty", "royalty", "split", None, "direct", "excess"]
    t = t.with_columns(
        income_income_basis=codes("income_income_basis", [None, None, None, None, None, None, "post_tax", None]),
        income_rate_basis=codes("income_rate_basis", ["pre_tax", "pre_tax", None, "post_tax", "pre_tax", None,
                                                     "pre_tax", "post_tax"]),
        income_model=codes("income_model", model),
        income_tax_rate=np.array([np.nan, np.nan, 0.25, 0.0, np.nan, np.nan, np.nan, np.nan]))
    is_model = {m: np.array([x == m for x in model]) for m in ("direct", "excess", "royalty")}
    ib = income_basis_codes(t, is_model)
    want = ["pre_tax", "post_tax", "post_tax", "pre_tax", "", "", "post_tax", "post_tax"]
    assert labels(*ib).tolist() == want
    assert income_basis(t, np.array(model, dtype=object)).tolist() == want
    assert _differ(ib, coded(t, "income_rate_basis")).tolist() == [False, True, False, True, False, False,
                                                                   True, False]

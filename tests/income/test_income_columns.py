"""The pricing layer's column reader (``income/columns.py``, an adapter until pricing reads
``pf.columns``) gives what the public pandas expressions give, and its typed view what the asset
table gives; the income result frame is the dict constructor's."""
import glob
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from valuation.core.columns import AssetTable
from valuation.core.portfolio import Portfolio
from valuation.methods.income.columns import Columns
from valuation.methods.income.frame import frame, labels
from valuation.methods.income.kernel import discount, exponents, life_weights


def _same(x: np.ndarray, y: np.ndarray) -> None:
    assert x.dtype == y.dtype and x.shape == y.shape
    assert [repr(v) for v in x.tolist()] == [repr(v) for v in y.tolist()]


def _frames() -> list[pd.DataFrame]:
    cards = [json.load(open(f, encoding="utf-8")) for f in sorted(glob.glob("examples/cards/*.json"))]
    a = Portfolio.from_cards(cards, strict=False).assets
    b = a.copy()
    # columns replaced after the build (as the Monte Carlo perturbations do), other dtypes
    b["income_discount_rate"] = np.linspace(0.05, 0.2, len(b))
    b["income_periods"] = np.arange(len(b), dtype=np.int64)
    b["income_model"] = pd.Series(["royalty", None] * (len(b) // 2) + ["split"] * (len(b) % 2),
                                  index=b.index, dtype=object)
    b["valuation_date"] = pd.to_datetime(["2024-06-30"] * len(b)).as_unit("us")
    return [a, b, a.iloc[:0]]


@pytest.mark.parametrize("k", range(3))
def test_columns_match_pandas(k):
    a = _frames()[k]
    c = Columns(a)
    for name in a.columns:
        s = a[name]
        _same(c[name], s.to_numpy())
        if s.dtype.kind in "fiub":
            _same(c.num(name), s.to_numpy(dtype=float, na_value=np.nan))
        if s.dtype == bool:
            _same(c.flag(name), s.to_numpy(bool))
        if s.dtype.kind == "M":
            _same(c.date(name), pd.to_datetime(s).to_numpy("datetime64[ns]"))
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            t = s.fillna("").astype("str").to_numpy(dtype=object)
            for value in {*t[:3].tolist(), "royalty", "mid"} - {""}:
                _same(Columns(a).eq(name, value), t == value)   # by Arrow, before any txt
                _same(c.eq(name, value), t == value)
            _same(c.txt(name), t)
    _same(c.num("no_such_column"), np.full(len(a), np.nan))
    _same(c.txt("no_such_column"), np.full(len(a), "", dtype=object))


def test_columns_are_read_only_and_cached():
    a = _frames()[0]
    c = Columns(a)
    x = c.num("income_discount_rate")
    assert x is c.num("income_discount_rate")
    with pytest.raises(ValueError):
        x[0] = 1.0
    a.iloc[0, a.columns.get_loc("income_discount_rate")] = 0.5   # the frame itself stays writable
    assert a["income_discount_rate"].iloc[0] == 0.5



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


@pytest.mark.parametrize("k", range(3))
def test_codes_give_the_text_and_its_comparisons(k):
    """Text read as codes first (Arrow dictionary, or factorised object text) reads, compares
    and writes out as the text read directly."""
    from valuation.methods.income.frame import coded_str, str_array

    a = _frames()[k]
    a = pd.concat([a, a.iloc[:1].assign(income_rate_basis="", income_model=None)]) if len(a) else a
    for c in ("income_model", "income_rate_basis", "income_income_basis", "income_timing", "absent_column"):
        plain, coded = Columns(a), Columns(a)
        names, codes = coded.codes(c)
        _same(labels(names, codes), plain.txt(c))
        _same(coded.txt(c), plain.txt(c))
        for v in ("royalty", "post_tax", "mid", "nowhere"):
            _same(coded.eq(c, v), plain.eq(c, v))
        if len(a):
            got, want = coded_str(names, codes), str_array(plain.txt(c))
            assert got.dtype == want.dtype and got.tolist() == want.tolist()


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


def test_typed_view_is_the_asset_table():
    """The pricing layer's rows read through :meth:`Columns.typed_view` give the asset table's
    arrays (types, missing values and defaults)."""
    cards = [json.load(open(f, encoding="utf-8")) for f in sorted(glob.glob("examples/cards/*.json"))]
    pf = Portfolio.from_cards(cards, strict=False)
    t, v = pf.columns, Columns(pf.assets).typed_view()
    assert v.ids.tolist() == t.ids.tolist() and len(v) == len(t)
    for name in t.columns:
        x, y = v[name], t[name]
        assert x.dtype == y.dtype, name
        assert [repr(e) for e in x.tolist()] == [repr(e) for e in y.tolist()], name


def _text_frames() -> list[pd.DataFrame]:
    """Text columns of every shape the readers take apart: short and long (either side of
    SMALL), constant, with missing values, of several values, a slice of a longer Arrow array
    (an offset into its buffers) and a column of several Arrow chunks."""
    from valuation.methods.income.frame import SMALL

    out = []
    for n in (0, 1, 5, SMALL, SMALL + 1, 200, 4130):
        rng = np.random.default_rng(n)
        words = np.array(["royalty", "split", None, "", "税前"], dtype=object)
        long = pd.array((["mid", None, "end"] * (n + 9))[: n + 9], dtype="str")
        chunked = pd.concat([pd.Series(["royalty"] * (n // 2), dtype="str"),
                             pd.Series(["split", None] * n, dtype="str")[: n - n // 2]], ignore_index=True)
        out.append(pd.DataFrame({
            "constant": pd.array(["royalty"] * n, dtype="str"),
            "constant_blank": pd.array([""] * n, dtype="str"),
            "all_missing": pd.array([None] * n, dtype="str"),
            "missing_first": pd.array(([None] + ["royalty"] * n)[:n], dtype="str"),
            "mixed": pd.array(words[rng.integers(0, 5, n)].tolist(), dtype="str"),
            "sliced": long[7: 7 + n],
            "chunked": chunked.array,
            "objects": np.array(words[rng.integers(0, 5, n)], dtype=object),
        }))
    return out


@pytest.mark.parametrize("k", range(7))
def test_codes_and_comparisons_of_long_and_short_text(k):
    a = _text_frames()[k]
    for c in a.columns:
        t = a[c].fillna("").astype("str").to_numpy(dtype=object)
        names, codes = Columns(a).codes(c)
        _same(labels(names, codes), t)
        for value in ("royalty", "split", "mid", "税前", "nowhere"):
            _same(Columns(a).eq(c, value), t == value)     # before any other read
            coded = Columns(a)
            coded.codes(c)
            _same(coded.eq(c, value), t == value)


@pytest.mark.parametrize("offset", [0, 1, 5, 8, 13])
def test_true_is_fill_null_false(offset):
    from valuation.methods.income.columns import _true

    rng = np.random.default_rng(offset)
    for n in (0, 1, 7, 8, 9, 100):
        vals = [None if r < 0.2 else bool(r > 0.6) for r in rng.random(n + offset)]
        b = pa.array(vals, type=pa.bool_()).slice(offset)
        _same(_true(b), np.asarray(b.fill_null(False).to_pylist(), dtype=bool))
        b = pa.array([v is True for v in vals], type=pa.bool_()).slice(offset)   # no validity buffer
        _same(_true(b), np.asarray(b.to_pylist(), dtype=bool))


def test_true_reads_missing_as_false_whatever_their_value_bits():
    from valuation.methods.income.columns import _true

    n = 20
    valid = np.packbits(np.arange(n) % 3 != 0, bitorder="little")
    ones = np.packbits(np.ones(n, bool), bitorder="little")
    b = pa.Array.from_buffers(pa.bool_(), n, [pa.py_buffer(valid.tobytes()), pa.py_buffer(ones.tobytes())])
    assert b.null_count == 7
    _same(_true(b), np.arange(n) % 3 != 0)
    _same(_true(b.slice(4)), np.arange(4, n) % 3 != 0)

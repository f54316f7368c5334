"""The column reader of the income approach gives what the public pandas expressions give."""
import glob
import json

import numpy as np
import pandas as pd
import pytest

from valuation.core.portfolio import Portfolio
from valuation.methods.income.columns import Columns


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
            _same(c.txt(name), s.fillna("").astype("str").to_numpy(dtype=object))
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

"""Rows of a result read from columns converted once equal ``.loc`` rows: ``MethodResult.row``
converts a frame's columns on the first read
instead of a ``.loc`` row per asset. Values, types and key order must be exactly those of
``{k: _plain(v) for k, v in frame.loc[aid].items()}``."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from values_equal import same

from valuation.methods.base import MethodResult, _plain, _row_columns


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    ids = pd.Index([f"A{i}" for i in range(n)], name="asset_id")
    text = [None if i % 3 == 1 else f"t{i}" for i in range(n)]
    return pd.DataFrame({
        "estimate": rng.normal(size=n), "low": np.where(np.arange(n) % 2, np.nan, 1.5),
        "applicable": np.arange(n) % 2 == 0, "count": np.arange(n, dtype="int64"),
        "reason_zh": pd.array(text, dtype="str"), "reason_en": pd.array([""] * n, dtype="str"),
        "when": pd.to_datetime(["2024-01-02"] * n), "obj": np.array([[1.0]] * n + [None], dtype=object)[:n],
    }, index=ids)


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_row_equals_loc_row(n):
    fr = _frame(n)
    mr = MethodResult("x", fr)
    for aid in fr.index:
        got = mr.row(aid)
        want = {k: _plain(v) for k, v in fr.loc[aid].items()}
        assert list(got) == list(want)
        assert all(same(got[k], want[k]) for k in want), (aid, got, want)


@pytest.mark.parametrize("n", [1, 3])
def test_row_columns_refused_where_loc_casts(n):
    """A frame of one numeric dtype (float + int → float rows) or of bools with extension
    numbers is read by .loc, never converted column by column."""
    ids = pd.Index([f"A{i}" for i in range(n)])
    assert _row_columns(pd.DataFrame({"a": np.ones(n), "b": np.arange(n)}, index=ids)) is False
    fr = pd.DataFrame({"a": np.ones(n), "b": np.arange(n) % 2 == 0,
                       "c": pd.array([1] * n, dtype="Int64")}, index=ids)
    mr = MethodResult("x", fr)
    for aid in ids:
        got, want = mr.row(aid), {k: _plain(v) for k, v in fr.loc[aid].items()}
        assert all(same(got[k], want[k]) for k in want)


def _clean_reference(v):
    """The recursive definition :func:`clean` implements (before its leaves were inlined)."""
    if isinstance(v, dict):
        return {str(k): _clean_reference(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean_reference(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_clean_reference(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if v is pd.NaT:
        return None
    return v


def test_clean_equals_its_recursive_definition():
    from collections import OrderedDict

    from valuation.core.result import clean

    class S(str):
        pass

    leaves = [1, 2.5, float("nan"), float("inf"), -float("inf"), True, None, "x", S("s"),
              np.float64(np.nan), np.float64(3.0), np.int64(4), np.bool_(False), np.str_("y"),
              pd.Timestamp("2024-05-06 12:00"), pd.NaT, np.array([1.0, np.nan]), (1, float("nan"))]
    doc = {"a": leaves, 2: {"b": list(leaves), S("k"): OrderedDict(z=np.inf, y=[{"q": leaves}])},
           "c": [[float("nan"), [np.float32(1.5)]], {}], "d": {1: "one", "1": "string one"}}
    for v in [doc, leaves, *leaves]:
        got, want = clean(v), _clean_reference(v)
        assert repr(got) == repr(want)
        assert [type(x) for x in (got if isinstance(got, list) else [got])] == \
            [type(x) for x in (want if isinstance(want, list) else [want])]

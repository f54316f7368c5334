"""One asset's row of a result (``MethodResult.row``), read from the result's arrays: plain
Python values by hand, the same whether the result was made from arrays or from a frame (an
approach's own composition, a test's stand-in), and ``clean`` against its recursive
definition."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from valuation.methods.base import MethodResult


def _columns():
    return {"estimate": np.array([1.5, np.nan]), "applicable": np.array([True, False]),
            "count": np.array([3, 0], dtype="int64"),
            "reason_zh": np.array(["", "无数据"], dtype=object),
            "note": np.array(["x", None], dtype=object),
            "when": np.array(["2024-01-02", "NaT"], dtype="datetime64[D]"),
            "obj": np.array([[1.0, np.float64(2.0)], None] + [0], dtype=object)[:2]}


def _by_hand(row):
    est = row["estimate"]
    return {**row, "estimate": "nan" if isinstance(est, float) and math.isnan(est) else est}


IDS = pd.Index(["A1", "B2"], name="asset_id")
WANT = {"A1": {"estimate": 1.5, "applicable": True, "count": 3, "reason_zh": "", "note": "x",
               "when": "2024-01-02", "obj": [1.0, 2.0]},
        "B2": {"estimate": "nan", "applicable": False, "count": 0, "reason_zh": "无数据", "note": None,
               "when": None, "obj": None}}


def test_row_of_arrays_by_hand():
    mr = MethodResult("x", None, columns=_columns(), index=IDS)
    for aid, want in WANT.items():
        got = mr.row(aid)
        assert list(got) == list(want) and _by_hand(got) == want
        assert [type(v) for v in got.values()] == [type(v) for v in mr.row(aid).values()]
        assert type(got["count"]) is int and type(got["applicable"]) is bool


def test_row_of_a_frame_is_the_row_of_its_arrays():
    fr = pd.DataFrame({k: (pd.array(v.tolist(), dtype="str") if k == "note" else v)
                       for k, v in _columns().items()}, index=IDS)
    mr = MethodResult("x", fr)
    for aid, want in WANT.items():
        assert _by_hand(mr.row(aid)) == want
    # the arrays a frame gives: text None where missing, numbers as stored, read-only
    assert mr.columns["note"].tolist() == ["x", None] and mr.columns["count"].dtype == np.int64
    assert not mr.columns["estimate"].flags.writeable


def test_row_of_an_unknown_or_repeated_id_is_refused():
    mr = MethodResult("x", None, columns=_columns(), index=pd.Index(["A1", "A1"]))
    with pytest.raises(KeyError):
        mr.row("A1")
    with pytest.raises(KeyError):
        MethodResult("x", None, columns=_columns(), index=IDS).row("nope")


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
